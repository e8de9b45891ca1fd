#!/usr/bin/env node
// Freshness under load: change → searchable in one codebase while the daemon bulk-indexes another. The bulk
// codebase is generated source no cache has seen (every chunk is embedded); the edited one is small. Printed:
// p50/p95/max of change → searchable as a client sees it (save to first search that finds it, debounce
// included) and the daemon's own p50 (first change event → indexed), and how far the bulk run had got.
// Usage: node bench/fresh-under-load.mjs [--edits 30] [--bulk-files 400]   (npm run bench:fresh runs it last)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const EDITS = arg('--edits', 30);
const BULK_FILES = arg('--bulk-files', 400);
const base = mkdtempSync(join(tmpdir(), 'codectx-fresh-load-'));
process.env.CODECTX_HOME = join(base, 'home');
const { connectDaemon } = await import('../dist/daemon/client.js');
const { configKey } = await import('../dist/config/configKey.js');
const { loadConfig } = await import('../dist/config/config.js');

const bin = join(project, 'bin', 'codectx.js');
const cli = (args) => execFileSync(process.execPath, [bin, ...args], { env: process.env, encoding: 'utf8' });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pct = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];
const ms = (value) => `${Math.round(value)} ms`;

const small = join(base, 'small');
const big = join(base, 'big');
mkdirSync(join(small, 'src'), { recursive: true });
writeFileSync(join(small, 'src', 'notes.ts'), 'export function summarizeNotes(notes: string[]): string {\n  return notes.join("\\n");\n}\n');
mkdirSync(join(big, 'lib'), { recursive: true });
for (let f = 0; f < BULK_FILES; f++) {
  const functions = Array.from(
    { length: 6 },
    (_, i) =>
      `export function settle${f}x${i}(ledger: number[], rate${i}: number): number {\n` +
      `  // reconciles batch ${f}-${i} of the settlement ledger against the ${['euro', 'yen', 'peso', 'rand'][i % 4]} rate\n` +
      `  return ledger.reduce((sum, entry, at) => sum + entry * rate${i} + at * ${f + i}, ${f * 7 + i});\n}\n`,
  );
  writeFileSync(join(big, 'lib', `settle${f}.ts`), functions.join('\n'));
}
const smallRoot = realpathSync(small);
const bigRoot = realpathSync(big);

let client;
try {
  cli(['daemon', 'start']);
  client = await connectDaemon();
  const key = configKey(loadConfig(small));
  const status = async (root) => (await client.status()).codebases.find((codebase) => codebase.root === root);
  await client.add(smallRoot, key);
  while ((await status(smallRoot))?.runs !== 1) await sleep(100);

  const bulkStarted = performance.now();
  await client.add(bigRoot, configKey(loadConfig(bigRoot)));
  while ((await status(bigRoot))?.state !== 'indexing') await sleep(50);
  console.log(`bulk codebase: ${BULK_FILES} files (${BULK_FILES * 6} functions, nothing cached); edits start once it is indexing`);

  const latencies = [];
  for (let edit = 0; edit < EDITS; edit++) {
    const name = `lateFeeProbe${edit}Wombat${Math.random().toString(36).slice(2, 7)}`;
    const started = performance.now();
    writeFileSync(join(small, 'src', `probe${edit % 5}.ts`), `export function ${name}(total: number): number {\n  return total * 1.05;\n}\n`);
    for (;;) {
      const results = await client.search(smallRoot, name, { limit: 5, configKey: key });
      if (results.some((result) => result.content.includes(name))) break;
      if (performance.now() - started > 180_000) throw new Error('an edit was not searchable within 180 s');
      await sleep(20);
    }
    latencies.push(performance.now() - started);
    await sleep(300);
  }
  const bigDuring = await status(bigRoot);
  const smallView = await status(smallRoot);
  console.log(`\nchange → searchable in one codebase while another bulk-indexes (${latencies.length} edits, debounce 200 ms quiet):`);
  console.log(`  client view  p50 ${ms(pct(latencies, 50))}  p95 ${ms(pct(latencies, 95))}  max ${ms(Math.max(...latencies))}`);
  console.log(`  daemon's own p50 (first change event → indexed): ${smallView.p50LatencyMs} ms`);
  console.log(`  bulk codebase when the edits ended: ${bigDuring.state}, ${bigDuring.chunks} chunks indexed, ${bigDuring.runs} runs finished`);
  while ((await status(bigRoot))?.runs === 0) await sleep(500);
  const bigDone = await status(bigRoot);
  console.log(`  bulk index finished: ${bigDone.chunks} chunks in ${((performance.now() - bulkStarted) / 1000).toFixed(1)} s`);
} finally {
  client?.close();
  spawnSync(process.execPath, [bin, 'daemon', 'stop'], { env: process.env });
  rmSync(base, { recursive: true, force: true });
}
