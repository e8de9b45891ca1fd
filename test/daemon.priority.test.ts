import { mkdir, mkdtemp, realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

interface CodebaseStatus {
  root: string;
  state: string;
  chunks: number;
  runs: number;
  waiting?: string;
  progress?: { phase: string; done: number; total: number };
}

const BULK_FILES = 400;

/** Source no cache has seen: every chunk is embedded, so indexing it is real bulk work for the model. */
async function writeBulkCorpus(root: string, files: number): Promise<void> {
  await mkdir(join(root, 'lib'), { recursive: true });
  for (let f = 0; f < files; f++) {
    const functions = Array.from(
      { length: 6 },
      (_, i) =>
        `export function step${f}x${i}(ledger: number[], rate${i}: number): number {\n` +
        `  // reconciles batch ${f}-${i} of the settlement ledger against the ${['euro', 'yen', 'peso', 'rand'][i % 4]} rate\n` +
        `  return ledger.reduce((sum, entry, at) => sum + entry * rate${i} + at * ${f + i}, ${f * 7 + i});\n}\n`,
    );
    await writeFile(join(root, 'lib', `settle${f}.ts`), functions.join('\n'));
  }
}

// Seen: a file saved in one codebase took 53 s and 112 s to become searchable while the daemon was indexing
// another codebase, and status called the waiting codebase "idle, queue 0".
describe('daemon scheduling: a save is not stuck behind another codebase bulk index', () => {
  let home = '';
  afterAll(async () => {
    if (home) await runCli(['daemon', 'stop'], { home });
  });

  it('makes a saved file searchable while another codebase is still being indexed', async () => {
    const base = await mkdtemp(join(tmpdir(), 'codectx-priority-'));
    home = join(base, 'home');
    const small = join(base, 'small');
    const big = join(base, 'big');
    await mkdir(small, { recursive: true });
    await writeFile(join(small, 'notes.py'), 'def summarize_notes(notes):\n    return "\\n".join(notes)\n');
    // Enough uncached work that the bulk run outlasts a save even when each probe below (a CLI process) is slow on a
    // loaded machine: 120 files finished before the probes saw the save once.
    await writeBulkCorpus(big, BULK_FILES);
    const cli = (args: string[]) => runCli(args, { home });
    const status = async (root: string) =>
      (JSON.parse((await cli(['daemon', 'status', '--json'])).stdout) as { codebases: CodebaseStatus[] }).codebases.find(
        (codebase) => codebase.root === root,
      );

    expect((await cli(['daemon', 'start'])).code).toBe(0);
    expect((await cli(['add', small])).code).toBe(0);
    const smallRoot = await realpath(small);
    const bigRoot = await realpath(big);
    await waitFor(async () => (await status(smallRoot))?.runs === 1);

    expect((await cli(['add', big])).code).toBe(0);
    await waitFor(async () => (await status(bigRoot))?.state === 'indexing');
    // Status tells how far the bulk run is, not "0 files, 0 chunks" until its first group lands.
    await waitFor(async () => (await status(bigRoot))?.progress !== undefined);
    expect((await status(bigRoot))?.progress?.total).toBe(BULK_FILES);
    expect((await cli(['daemon', 'status'])).stdout).toMatch(new RegExp(`indexing \\((counting )?\\d+/${BULK_FILES} files\\)`));
    await writeFile(join(small, 'invoice.py'), 'def apply_late_payment_fee(invoice):\n    return invoice.total * 1.05\n');
    await waitFor(async () => {
      const found = await cli(['search', 'apply_late_payment_fee', '--path', small, '--json']);
      return (JSON.parse(found.stdout) as { results: { content: string }[] }).results.some((r) => r.content.includes('apply_late_payment_fee'));
    });
    // The save went through while the bulk run still had work left: it did not wait for it to end.
    const bigNow = await status(bigRoot);
    expect(bigNow?.runs, 'the bulk index had already finished').toBe(0);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
