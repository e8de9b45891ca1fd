#!/usr/bin/env node
// An index's life: a LanceDB store of 100k chunks, then hundreds of saves as the daemon writes them (one file's
// chunks deleted and written again, then a flush), with query latency, the vector index's segments, the table's
// fragments and the folder's size printed as the saves add up. A store that degrades with use shows it here, not
// in a bench that measures a fresh index. Figures are printed, not asserted.
// Usage: npm run bench:aging [-- --chunks 100000 --saves 480]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
// The store first: it quiets LanceDB's native logger, which reads its setting when the module loads.
import { openLanceStore } from '../dist/store/lance.js';
import * as lancedb from '@lancedb/lancedb';
import { hybridSearch } from '../dist/store/hybrid.js';
import { folderBytes } from '../dist/index/folderBytes.js';
import { seededRandom, syntheticCorpus } from './synthetic.mjs';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const DIM = 384;
const CHUNKS = arg('chunks', 100_000);
const SAVES = arg('saves', 480);
const REPORT_EVERY = Math.max(1, Math.round(SAVES / 8));
const QUERIES = 60;
const CHUNKS_PER_FILE = 8;
const BATCH = 1_000;

const rng = seededRandom(7, DIM);
const { makeChunks, makeQueries } = syntheticCorpus(rng);
const dir = mkdtempSync(join(tmpdir(), 'codectx-bench-aging-'));
const p50 = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const folderMb = async (path) => Math.round((await folderBytes(path)) / 2 ** 20);

try {
  const store = await openLanceStore({ dir, table: 'bench', dimension: DIM });
  const chunks = makeChunks(CHUNKS);
  const started = performance.now();
  for (let i = 0; i < chunks.length; i += BATCH) await store.upsert(chunks.slice(i, i + BATCH));
  await store.flush();
  console.log(`${CHUNKS} chunks written and flushed in ${((performance.now() - started) / 1000).toFixed(1)} s; then ${SAVES} saves`);
  const queries = makeQueries(chunks, QUERIES);
  // A second handle to read the table's own figures (the store keeps its table to itself).
  const table = await (await lancedb.connect(dir, { readConsistencyInterval: 0 })).openTable('bench');
  const report = async (saves, saveMs) => {
    const time = async (run) => {
      const times = [];
      for (const query of queries) {
        const start = performance.now();
        await run(query);
        times.push(performance.now() - start);
      }
      return p50(times).toFixed(1);
    };
    const dense = await time((q) => store.searchDense(q.vector, 100));
    const hybrid = await time((q) => hybridSearch(store, { ...q, limit: 10 }));
    const segments = (await table.indexStats('vector_idx'))?.numIndices ?? 0;
    const fragments = (await table.stats()).fragmentStats.numFragments;
    console.log(
      `  after ${String(saves).padStart(4)} saves: dense p50 ${dense} ms, hybrid p50 ${hybrid} ms; ` +
        `vector index segments ${segments}, fragments ${fragments}, folder ${await folderMb(dir)} MB` +
        (saveMs.length > 0 ? `; a save's write + flush p50 ${p50(saveMs).toFixed(0)} ms, max ${Math.max(...saveMs).toFixed(0)} ms` : ''),
    );
  };
  await report(0, []);
  let next = CHUNKS;
  let saveMs = [];
  for (let save = 1; save <= SAVES; save++) {
    // One file saved: its chunks replaced by new ones (new ids, as changed content gives).
    const file = chunks[Math.floor(rng.random() * chunks.length)].file;
    const fresh = makeChunks(CHUNKS_PER_FILE, next).map((chunk) => ({ ...chunk, file }));
    next += CHUNKS_PER_FILE;
    const start = performance.now();
    await store.deleteFiles([file]);
    await store.upsert(fresh);
    await store.flush();
    saveMs.push(performance.now() - start);
    if (save % REPORT_EVERY === 0) {
      await report(save, saveMs);
      saveMs = [];
    }
  }
  const closing = performance.now();
  await store.close();
  console.log(`closed in ${((performance.now() - closing) / 1000).toFixed(1)} s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
