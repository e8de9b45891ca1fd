import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCodebase, type Codebase } from '../../src/index/codebase.js';

/** Two small source files: a TypeScript function `alpha` and a Python function `beta`. */
export async function writeTwoFiles(root: string): Promise<void> {
  await writeFile(join(root, 'a.ts'), 'export function alpha(x: number) {\n  return x + 1;\n}\n');
  await writeFile(join(root, 'b.py'), 'def beta(y):\n    return y * 2\n');
}

/**
 * A temporary codebase of those two files, with a CODECTX_HOME of its own set in the environment until `dispose`
 * puts the previous one back and removes both folders.
 */
export async function twoFileCodebase(name: string): Promise<{ root: string; codebase: Codebase; dispose: () => Promise<void> }> {
  const savedHome = process.env.CODECTX_HOME;
  const home = await mkdtemp(join(tmpdir(), `codectx-${name}-home-`));
  process.env.CODECTX_HOME = home;
  const root = await realpath(await mkdtemp(join(tmpdir(), `codectx-${name}-`)));
  await writeTwoFiles(root);
  const dispose = async () => {
    if (savedHome === undefined) delete process.env.CODECTX_HOME;
    else process.env.CODECTX_HOME = savedHome;
    await rm(root, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  };
  return { root, codebase: await resolveCodebase(root), dispose };
}
