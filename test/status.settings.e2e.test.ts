import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureWorkspace, runCli } from './helpers/cli.js';

// After a setting changed (another model, another chunk budget), status showed the old setup with no word while
// search refused the index ("built with another setup") or asked for an API key.
describe('status when the settings no longer match the index', () => {
  it('names the change and what to do, in text and JSON', async () => {
    const { repo, home } = await fixtureWorkspace();
    expect((await runCli(['index', repo, '--quiet'], { home })).code).toBe(0);
    expect((await runCli(['status', repo], { home })).stdout).not.toContain('settings:');

    await writeFile(join(repo, 'codectx.config.json'), JSON.stringify({ chunkTokens: 100 }));
    const text = await runCli(['status', repo], { home });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^settings: {2}changed since this index was built \(chunk budget \d+ → 100 tokens\); search refuses it until `codectx index --force` rebuilds it, or undo the change$/m,
    );
    const json = JSON.parse((await runCli(['status', repo, '--json'], { home })).stdout) as { settingsChange?: string };
    expect(json.settingsChange).toMatch(/^chunk budget \d+ → 100 tokens$/);

    await writeFile(join(repo, 'codectx.config.json'), JSON.stringify({ embedding: { provider: 'openai' } }));
    const noKey = await runCli(['status', repo], { home, env: { OPENAI_API_KEY: '' } });
    expect(noKey.code, noKey.stderr).toBe(0);
    expect(noKey.stdout).toMatch(/^settings: {2}changed since this index was built \(the configured embedding cannot be used: .*OPENAI_API_KEY/m);
  });
});
