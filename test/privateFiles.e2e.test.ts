import { chmod, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendUsage } from '../src/route/ledger.js';
import { fixtureWorkspace, runCli } from './helpers/cli.js';

/** Every folder and file under the home, with its permission bits. */
async function modes(dir: string): Promise<Array<[string, number, boolean]>> {
  const out: Array<[string, number, boolean]> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push([path, (await stat(path)).mode & 0o777, entry.isDirectory()]);
    if (entry.isDirectory()) out.push(...(await modes(path)));
  }
  return out;
}

// An index holds the code it indexed: with the usual umask (022) its folders used to be 0755, readable by any local user.
describe('files under the codectx home are private to the user', () => {
  let umask: number;
  let work: { repo: string; home: string };

  beforeAll(async () => {
    umask = process.umask(0o022);
    work = await fixtureWorkspace();
  });

  afterAll(async () => {
    process.umask(umask);
    await rm(dirname(work.home), { recursive: true, force: true });
  });

  // LanceDB creates its own tree with the process's umask, which the CLI makes owner-only: the test runs it under 022.
  it('creates the home, the folders and files codectx makes and the LanceDB tree 0700 / 0600, when indexing', async () => {
    const result = await runCli(['index', work.repo, '--quiet'], { home: work.home });
    expect(result.code, result.stderr).toBe(0);
    expect((await stat(work.home)).mode & 0o777).toBe(0o700);
    const ours = await modes(work.home);
    expect(ours.some(([path]) => path.includes(`${sep}lancedb${sep}`))).toBe(true);
    const folders = ours.filter(([, , isDir]) => isDir);
    const files = ours.filter(([, , isDir]) => !isDir);
    expect(folders.map(([path]) => relative(work.home, path))).toEqual(expect.arrayContaining(['indexes', 'cache']));
    expect(files.length).toBeGreaterThan(1);
    for (const [path, mode] of folders) expect(mode, path).toBe(0o700);
    for (const [path, mode] of files) expect(mode, path).toBe(0o600);
  });

  it('tightens a home an earlier version left 0755', async () => {
    await chmod(work.home, 0o755);
    const result = await runCli(['index', work.repo, '--quiet'], { home: work.home });
    expect(result.code, result.stderr).toBe(0);
    expect((await stat(work.home)).mode & 0o777).toBe(0o700);
  });

  it('writes the usage ledger 0600 in a 0700 folder', async () => {
    const file = join(dirname(work.home), 'elsewhere', 'usage.jsonl');
    appendUsage({ at: new Date().toISOString() } as Parameters<typeof appendUsage>[0], file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(file))).mode & 0o777).toBe(0o700);
  });
});
