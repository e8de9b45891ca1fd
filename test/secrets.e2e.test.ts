/**
 * No planted secret leaves the machine: a codebase with ≥ 60 secrets of ≥ 25 kinds (random values generated at
 * run time; some in code, some in YAML/JSON/INI configs, one key long enough to be cut across chunks) is indexed
 * with the real model, and `ask --dry-run`, `context --json`, the MCP server's search_code answers and the prompt
 * hook's context are checked for every secret's value. Each channel must also have shown most secrets' lines, so a
 * pass means redaction, not that the secrets never came out.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createChunker } from '../src/chunk/chunker.js';
import { askDryRun, cli, contextJson, hookContext, leakReport, mcpSearchAnswers, writeSecretRepo } from './helpers/secretChannels.mjs';
import { plantSecrets } from './helpers/secretCorpus.mjs';

interface Secret {
  kind: string;
  marker: string;
  fragments: string[];
}

const { files, secrets } = plantSecrets() as { files: Record<string, string>; secrets: Secret[] };

describe('secrets in indexed code never reach a model (real model, LanceDB)', () => {
  let repo: string;
  let home: string;

  beforeAll(async () => {
    ({ repo, home } = await writeSecretRepo(files));
    const indexed = await cli(['index', repo, '--quiet'], { home, cwd: repo });
    expect(indexed.code, indexed.stderr).toBe(0);
  });

  it('plants ≥ 60 secrets of ≥ 25 kinds, one key cut across chunks', async () => {
    expect(secrets.length).toBeGreaterThanOrEqual(60);
    expect(new Set(secrets.map((s) => s.kind)).size).toBeGreaterThanOrEqual(25);
    const chunks = await (await createChunker()).chunk('src/tls/legacySigningKey.ts', files['src/tls/legacySigningKey.ts']!);
    const begin = chunks.findIndex((c) => c.content.includes('-----BEGIN RSA PRIVATE KEY-----'));
    const end = chunks.findIndex((c) => c.content.includes('-----END RSA PRIVATE KEY-----'));
    expect(end).toBeGreaterThan(begin + 1); // BEGIN, END and a middle piece with neither
  });

  const channels: Array<[string, (repo: string, home: string) => Promise<string>]> = [
    ['ask --dry-run', askDryRun],
    ['context --json', contextJson],
    ['MCP search_code', mcpSearchAnswers],
    ['hook user-prompt-submit', hookContext],
  ];
  for (const [name, run] of channels) {
    it(`${name}: no secret's value in the output`, async () => {
      const { reached, leaked } = leakReport(await run(repo, home), secrets) as { reached: Secret[]; leaked: Secret[] };
      expect(leaked.map((s) => `${s.kind} (${s.marker})`)).toEqual([]);
      expect(reached.length).toBeGreaterThanOrEqual(50);
    });
  }
});
