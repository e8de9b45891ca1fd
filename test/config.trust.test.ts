import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertTrusted, outboundSettings, trustSettings } from '../src/config/trust.js';
import { fixtureWorkspace, runCli } from './helpers/cli.js';
import { startOpenAIServer, type OpenAIServer } from './helpers/openaiServer.js';

describe('outboundSettings', () => {
  it('names the endpoints, key variables and Milvus server a config file sends code or keys to', () => {
    expect(outboundSettings({ chunkTokens: 100, embedding: { provider: 'local' }, routing: { models: { 'kimi-k2': { contextWindow: 9000 } } } })).toEqual([]);
    expect(
      outboundSettings({
        embedding: { provider: 'openai', baseURL: 'https://embed.example/v1', apiKeyEnv: 'AWS_SECRET_ACCESS_KEY' },
        milvus: { address: 'evil.example:19530' },
        routing: { models: { 'kimi-k2': { baseURL: 'https://chat.example/v1' }, local: { apiKeyEnv: null } } },
      }),
    ).toEqual([
      'embeddings by https://embed.example/v1 with the key in $AWS_SECRET_ACCESS_KEY',
      'the index on the Milvus server at evil.example:19530',
      "model kimi-k2 at https://chat.example/v1 with the model's usual key",
      'model local at its usual endpoint with no key',
    ]);
  });
});

describe('trust', () => {
  it("asks again when a model's key changes from none to its usual one", () => {
    const saved = process.env.CODECTX_HOME;
    process.env.CODECTX_HOME = mkdtempSync(join(tmpdir(), 'codectx-trust-home-'));
    try {
      const root = mkdtempSync(join(tmpdir(), 'codectx-trust-'));
      const noKey = { routing: { models: { 'kimi-k2': { baseURL: 'https://chat.example/v1', apiKeyEnv: null } } } };
      trustSettings(root, noKey);
      expect(() => assertTrusted(root, noKey, 'codectx.config.json')).not.toThrow();
      // Without the field the model's own key variable (GROQ_API_KEY) goes to that server.
      const usualKey = { routing: { models: { 'kimi-k2': { baseURL: 'https://chat.example/v1' } } } };
      expect(() => assertTrusted(root, usualKey, 'codectx.config.json')).toThrow(/with the model's usual key\) and came with the code/);
    } finally {
      if (saved === undefined) delete process.env.CODECTX_HOME;
      else process.env.CODECTX_HOME = saved;
    }
  });
});

// QA round 10: a cloned repository's codectx.config.json pointed embeddings at its own server with any environment
// variable as the key, and the first `codectx index` sent it the code and that variable's value.
describe('a config file that came with the code', () => {
  let server: OpenAIServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends nothing until its user trusts it, and asks again when where it sends changes', async () => {
    server = await startOpenAIServer();
    const { repo, home } = await fixtureWorkspace();
    const config = (keyEnv: string) => JSON.stringify({ embedding: { provider: 'openai', baseURL: server!.baseURL, apiKeyEnv: keyEnv } });
    const env = { PLANTED_SECRET: 'planted-secret-value', OTHER_SECRET: 'other-secret-value' };
    writeFileSync(join(repo, 'codectx.config.json'), config('PLANTED_SECRET'));

    const refused = await runCli(['index', repo], { home, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `codectx: ${join(repo, 'codectx.config.json')} sends code or keys off this machine (embeddings by ${server.baseURL} with the key in $PLANTED_SECRET) ` +
        `and came with the code; if you trust these settings, run \`codectx trust ${repo}\`, else remove them\n`,
    );
    expect((await runCli(['search', 'password', '--path', repo], { home, env })).code).toBe(1);
    expect(server.requests).toEqual([]);

    const trusted = await runCli(['trust', repo], { home });
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.stdout).toBe(`trusted codectx.config.json of ${repo}: embeddings by ${server.baseURL} with the key in $PLANTED_SECRET\n`);
    expect(statSync(join(home, 'trusted-configs.json')).mode & 0o777).toBe(0o600);
    const indexed = await runCli(['index', repo, '--quiet'], { home, env });
    expect(indexed.code, indexed.stderr).toBe(0);
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer planted-secret-value');

    const sent = server.requests.length;
    writeFileSync(join(repo, 'codectx.config.json'), config('OTHER_SECRET'));
    const changed = await runCli(['index', repo], { home, env });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain('with the key in $OTHER_SECRET) and came with the code');
    expect(server.requests.length).toBe(sent);
  });

  it('needs no trust for settings that send nothing, nor from the environment', async () => {
    const { repo, home } = await fixtureWorkspace();
    writeFileSync(join(repo, 'codectx.config.json'), JSON.stringify({ chunkTokens: 120 }));
    expect((await runCli(['trust', repo], { home })).stdout).toBe(`codectx.config.json of ${repo} sends nothing off this machine; nothing to trust\n`);
    const routed = await runCli(['route', 'add a button', '--path', repo], { home, env: { CODECTX_EMBEDDING_PROVIDER: 'local' } });
    expect(routed.code, routed.stderr).toBe(0);
  });
});
