import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));
const COMPILED_EMBED = join(PROJECT_ROOT, 'dist', 'embed', 'index.js');

/** Embeds one text with the compiled code and reports what it saw, including the network interfaces. */
const CHILD_SCRIPT = `
import { networkInterfaces } from 'node:os';
const { createEmbeddingProvider } = await import(process.env.EMBED_MODULE);
const provider = await createEmbeddingProvider({ provider: 'local' });
const [vector] = await provider.embed(['function verifyPassword(user, pw) { return bcrypt.compare(pw, user.hash) }']);
await provider.close();
console.log(JSON.stringify({
  interfaces: Object.keys(networkInterfaces()),
  built: provider.modelCache.built,
  dimension: vector.length,
  norm: Math.hypot(...vector),
}));
`;

function networkNamespacesWork(): string | undefined {
  try {
    execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
    return undefined;
  } catch (error) {
    return `\`unshare -n true\` failed (${(error as Error).message.split('\n')[0]}), so the network cannot be cut off here`;
  }
}

const skipReason = networkNamespacesWork();
if (skipReason) console.warn(`skipping the offline embedding test: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('local embedding model without a network', () => {
  it('builds its graph and embeds in a network namespace with only loopback, from a fresh CODECTX_HOME', async () => {
    expect(existsSync(COMPILED_EMBED), `${COMPILED_EMBED} is missing: run npm run build first`).toBe(true);
    const home = await mkdtemp(join(tmpdir(), 'codectx-offline-'));
    try {
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(
          'unshare',
          ['-n', process.execPath, '--input-type=module', '-e', CHILD_SCRIPT],
          { cwd: PROJECT_ROOT, env: { ...process.env, CODECTX_HOME: home, EMBED_MODULE: COMPILED_EMBED } },
          (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
        );
      });
      const report = JSON.parse(stdout.trim().split('\n').pop()!) as { interfaces: string[]; built: boolean; dimension: number; norm: number };
      expect(report.interfaces.every((name) => name === 'lo')).toBe(true);
      expect(report.built).toBe(true);
      expect(report.dimension).toBe(384);
      expect(report.norm).toBeCloseTo(1, 5);
      expect(existsSync(join(home, 'models'))).toBe(true);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
