// Store benchmark: upsert throughput and search latency (dense, keyword, hybrid) with realistic code text.
//   npm run bench:store                       LanceDB at 100k chunks (+ Milvus at 10k when MILVUS_ADDRESS is set)
//   BENCH_LANCE_CHUNKS=20000 BENCH_MILVUS_CHUNKS=5000 npm run bench:store   other sizes (0 skips that store)
//   BENCH_LANCE_QUERIES / BENCH_MILVUS_QUERIES                               queries per measure (200 / 20)
// Vectors are random 384-dim unit vectors (no cluster structure: the hardest case for an ANN index), text is
// windows of node_modules/typescript/lib/typescript.js. Dense recall@10 is measured against exact brute force.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openLanceStore } from '../dist/store/lance.js';
import { openMilvusStore } from '../dist/store/milvus.js';
import { hybridSearch } from '../dist/store/hybrid.js';
import { seededRandom, syntheticCorpus } from './synthetic.mjs';

const DIM = 384;
const LANCE_CHUNKS = Number(process.env.BENCH_LANCE_CHUNKS ?? 100_000);
const MILVUS_CHUNKS = Number(process.env.BENCH_MILVUS_CHUNKS ?? 10_000);
const BATCH = 1_000;
// Milvus Lite (the test server) answers in hundreds of ms, so it gets fewer queries than LanceDB.
const LANCE_QUERIES = Number(process.env.BENCH_LANCE_QUERIES ?? 200);
const MILVUS_QUERIES = Number(process.env.BENCH_MILVUS_QUERIES ?? 20);
const LIMIT = 10;
const DELETED_FILES = 50;

const rng = seededRandom(42, DIM);
const { makeChunks, makeQueries } = syntheticCorpus(rng);

/** The line after three chunks, picked by `seed`: a gap between two joined chunks. */
function makeGaps(chunks, seed) {
  return [1, 2, 3].map((i) => {
    const chunk = chunks[(seed * 7919 * i) % chunks.length];
    return { file: chunk.file, startLine: chunk.endLine + 1, endLine: chunk.endLine + 1 };
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timeEach(queries, run) {
  const times = [];
  for (const query of queries) {
    const start = performance.now();
    await run(query);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return `p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms`;
}

function bruteForceTop(chunks, vector, k) {
  const scored = chunks.map((chunk) => {
    let dot = 0;
    for (let i = 0; i < DIM; i++) dot += chunk.vector[i] * vector[i];
    return [chunk.id, dot];
  });
  scored.sort((a, b) => b[1] - a[1]);
  return new Set(scored.slice(0, k).map(([id]) => id));
}

async function recallAt10(store, chunks, queries) {
  let found = 0;
  for (const query of queries) {
    const exact = bruteForceTop(chunks, query.vector, LIMIT);
    const hits = await store.searchDense(query.vector, LIMIT);
    found += hits.filter((hit) => exact.has(hit.chunk.id)).length;
  }
  return found / (queries.length * LIMIT);
}

async function bench(label, store, chunks, queryCount) {
  console.log(`\n${label}: ${chunks.length} chunks, ${DIM}-dim, ${queryCount} queries per measure`);
  const start = performance.now();
  for (let i = 0; i < chunks.length; i += BATCH) await store.upsert(chunks.slice(i, i + BATCH));
  const seconds = (performance.now() - start) / 1000;
  console.log(`  upsert: ${(chunks.length / seconds).toFixed(0)} chunks/s (${seconds.toFixed(1)} s in batches of ${BATCH})`);
  console.log(`  count: ${await store.count()}`);
  const flushStart = performance.now();
  await store.flush();
  console.log(`  flush: ${((performance.now() - flushStart) / 1000).toFixed(1)} s`);

  const queries = makeQueries(chunks, queryCount);
  for (const query of queries.slice(0, 5)) await hybridSearch(store, { ...query, limit: LIMIT }); // warm caches
  const depth = Math.max(LIMIT * 4, 50);
  console.log(`  dense   (top ${depth}): ${await timeEach(queries, (q) => store.searchDense(q.vector, depth))}`);
  console.log(`  keyword (top ${depth}): ${await timeEach(queries, (q) => store.searchKeyword(q.text, depth))}`);
  console.log(`  hybrid  (top ${LIMIT}): ${await timeEach(queries, (q) => hybridSearch(store, { ...q, limit: LIMIT }))}`);
  const filter = { pathPrefix: 'src/module1', language: 'typescript' };
  console.log(`  hybrid + filter:  ${await timeEach(queries, (q) => hybridSearch(store, { ...q, limit: LIMIT, filter }))}`);
  // What a search with joined results reads back: the lines between the chunks of three results (search/pieces.ts).
  const gapsOf = (q) => makeGaps(chunks, q.text.length);
  console.log(`  chunks at 3 results' gaps: ${await timeEach(queries, (q) => store.chunksAt(gapsOf(q)))}`);
  const recall = await recallAt10(store, chunks, queries.slice(0, 50));
  console.log(`  dense recall@10 vs brute force: ${recall.toFixed(3)}`);
  await timeDeletes(store, chunks);
}

/** A changed file's chunks deleted by file name (a filter on the file field) and by their ids (primary keys). */
async function timeDeletes(store, chunks) {
  const byFile = new Map();
  for (const chunk of chunks) byFile.set(chunk.file, [...(byFile.get(chunk.file) ?? []), chunk.id]);
  const files = [...byFile.keys()].slice(0, 2 * DELETED_FILES);
  const byName = await timeEach(files.slice(0, DELETED_FILES), (file) => store.deleteFiles([file]));
  const byId = await timeEach(files.slice(DELETED_FILES), (file) => store.deleteChunks(byFile.get(file)));
  const left = await store.count();
  const expected = chunks.length - files.reduce((sum, file) => sum + byFile.get(file).length, 0);
  if (left !== expected) throw new Error(`${left} chunks left after the deletes, expected ${expected}`);
  console.log(`  delete one file's chunks (${DELETED_FILES} files each way): by file name ${byName}; by id ${byId}`);
}

if (LANCE_CHUNKS > 0) {
  const dir = mkdtempSync(join(tmpdir(), 'codectx-bench-store-'));
  try {
    const lance = await openLanceStore({ dir, table: 'bench', dimension: DIM });
    await bench('LanceDB', lance, makeChunks(LANCE_CHUNKS), LANCE_QUERIES);
    await lance.drop();
    await lance.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.MILVUS_ADDRESS) {
  const milvus = await openMilvusStore({
    address: process.env.MILVUS_ADDRESS,
    collection: `codectx_bench_${Date.now()}`,
    codebase: 'bench',
    dimension: DIM,
  });
  try {
    await bench(`Milvus at ${process.env.MILVUS_ADDRESS}`, milvus, makeChunks(MILVUS_CHUNKS), MILVUS_QUERIES);
  } finally {
    await milvus.drop();
    await milvus.close();
  }
} else {
  console.log('\nMilvus: skipped (set MILVUS_ADDRESS=host:port to measure it)');
}
