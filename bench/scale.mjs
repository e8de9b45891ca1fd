// Scale benchmark: the embedded LanceDB store with a synthetic corpus of up to millions of chunks.
//   npm run bench:scale                    1M chunks
//   npm run bench:scale -- --chunks 100000 another size
//   --batch N                              chunks per upsert (default 4096)
//   --queries N                            hybrid queries timed (default 200)
//   --keep DIR / --open DIR                build into DIR and keep it / only open and query an existing DIR
// Text is real code (this repository's src and node_modules' TypeScript and JavaScript), cut into line windows and
// repeated with renamed identifiers, so BM25 sees a vocabulary that grows with the corpus. Vectors are synthetic:
// each window gets one of a few thousand random centroids, and each copy a unit vector near it (the embedding model
// is never run). The build goes through the product's store (upsert in batches, flush); queries through the
// product's searchIndex, in a fresh process so its RSS and open time are those of a searcher, not of the build.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as lancedb from '@lancedb/lancedb';
import { openLanceStore } from '../dist/store/lance.js';
import { QueryVectors, searchIndex } from '../dist/search/searcher.js';
import { seededRandom } from './synthetic.mjs';

const DIM = 384;
const TABLE = 'scale';
const CENTROIDS = 4096;
const args = parseArgs(process.argv.slice(2));
const CHUNKS = Number(args.chunks ?? 1_000_000);
const BATCH = Number(args.batch ?? 4096);
const QUERIES = Number(args.queries ?? 200);
const REPO = new URL('..', import.meta.url).pathname;

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  return out;
}

const { random, gaussian, normalise, unitVector } = seededRandom(7, DIM);
/** A unit vector at cosine ~0.8 from the centroid: near neighbours exist, as they do for real code. */
function near(centroid) {
  const vector = new Float32Array(DIM);
  for (let i = 0; i < DIM; i++) vector[i] = centroid[i] + 0.04 * gaussian();
  return normalise(vector);
}

function sourceFiles(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'test' && entry.name !== '__tests__') sourceFiles(path, out);
    } else if (/\.(ts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.min.js')) {
      out.push(path);
    }
  }
  return out;
}

/** Windows of 8–40 lines from real files: the base texts every copy is a variation of. */
function baseWindows() {
  const roots = [join(REPO, 'src'), ...['typescript/lib', 'commander/lib', 'zod/v4', 'chokidar', 'vitest/dist', 'openai/src'].map((p) => join(REPO, 'node_modules', p))];
  const windows = [];
  for (const root of roots) {
    let files;
    try {
      files = sourceFiles(root);
    } catch {
      continue;
    }
    for (const path of files) {
      const lines = readFileSync(path, 'utf8').split('\n');
      for (let start = 0; start < lines.length && windows.length < 60_000; ) {
        const length = 8 + Math.floor(random() * 33);
        const content = lines.slice(start, start + length).join('\n');
        if (content.trim().length > 40) windows.push({ file: relative(REPO, path), start: start + 1, length, content });
        start += length;
      }
    }
  }
  return windows;
}

/** Copy `copy` of a window: about a third of its identifiers renamed with a suffix of the copy, so BM25 sees new words. */
function variation(content, copy) {
  if (copy === 0) return content;
  const suffix = copy.toString(36);
  return content.replace(/\b[A-Za-z_][A-Za-z0-9_]{3,}\b/g, (word) => {
    let h = copy;
    for (let i = 0; i < word.length; i++) h = (h * 31 + word.charCodeAt(i)) | 0;
    return (h & 3) === 0 ? `${word}${suffix}` : word;
  });
}

function* chunkBatches(windows, centroids) {
  let batch = [];
  for (let i = 0; i < CHUNKS; i++) {
    const base = i % windows.length;
    const copy = Math.floor(i / windows.length);
    const window = windows[base];
    const content = variation(window.content, copy);
    const symbol = /(?:function|class)\s+([A-Za-z_$][\w$]*)/.exec(content)?.[1] ?? '';
    const file = copy === 0 ? window.file : `copy${copy}/${window.file}`;
    batch.push({
      id: `c${i}`,
      file,
      language: file.endsWith('.ts') ? 'typescript' : 'javascript',
      symbol,
      kind: symbol ? 'function' : 'block',
      container: '',
      startLine: window.start,
      endLine: window.start + window.length - 1,
      content,
      contentHash: `h${i}`,
      fileHash: `f${base}-${copy}`,
      vector: near(centroids[base % CENTROIDS]),
    });
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function diskBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? diskBytes(path) : statSync(path).size;
  }
  return total;
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function build(dir) {
  const windows = baseWindows();
  const centroids = Array.from({ length: CENTROIDS }, unitVector);
  console.log(`corpus: ${CHUNKS} chunks from ${windows.length} real code windows (${Math.ceil(CHUNKS / windows.length)} variations), ${DIM}-dim vectors near ${CENTROIDS} centroids`);
  const store = await openLanceStore({ dir, table: TABLE, dimension: DIM });
  const started = performance.now();
  let written = 0;
  let lastReport = started;
  for (const batch of chunkBatches(windows, centroids)) {
    await store.upsert(batch);
    written += batch.length;
    if (performance.now() - lastReport > 30_000) {
      lastReport = performance.now();
      console.log(`  ${written} chunks, ${((lastReport - started) / 1000).toFixed(0)} s, RSS ${mb(process.memoryUsage().rss)}`);
    }
  }
  const upserted = performance.now();
  await store.flush();
  const flushed = performance.now();
  console.log(`build: ${((flushed - started) / 1000).toFixed(0)} s (upsert ${((upserted - started) / 1000).toFixed(0)} s in batches of ${BATCH}, ${(CHUNKS / ((upserted - started) / 1000)).toFixed(0)} chunks/s; flush ${((flushed - upserted) / 1000).toFixed(0)} s), build RSS ${mb(process.memoryUsage().rss)}`);
  const rows = await store.count();
  await store.close();
  // Folds keep the versions of the last 10 minutes for readers in other processes; a settled index holds only one.
  const built = diskBytes(dir);
  const table = await (await lancedb.connect(dir)).openTable(TABLE);
  await table.optimize({ cleanupOlderThan: new Date(), deleteUnverified: true });
  table.close();
  console.log(`rows: ${rows}, disk: ${mb(built)} right after the build, ${mb(diskBytes(dir))} once older versions are gone`);
}

/** In a fresh process: open the store, run hybrid searches through searchIndex, report latency and RSS. */
async function query(dir) {
  const rssBefore = process.memoryUsage().rss;
  const opening = performance.now();
  const store = await openLanceStore({ dir, table: TABLE, dimension: DIM });
  const openMs = performance.now() - opening;
  const rssOpen = process.memoryUsage().rss;
  const count = await store.count();
  // Query words: identifiers of random stored windows; the query vector sits near a random centroid.
  const windows = baseWindows();
  const centroids = Array.from({ length: CENTROIDS }, unitVector);
  const queries = Array.from({ length: QUERIES }, (_, i) => {
    const words = windows[Math.floor(random() * windows.length)].content.match(/[A-Za-z_][A-Za-z0-9_]{3,}/g) ?? ['function'];
    return `${Array.from({ length: 2 + (i % 3) }, () => words[Math.floor(random() * words.length)]).join(' ')} q${i}`;
  });
  const vectors = new QueryVectors({ embed: async (texts) => texts.map(() => near(centroids[Math.floor(random() * CENTROIDS)])) });
  const first = performance.now();
  await searchIndex(store, vectors, queries[0], { limit: 10 });
  const firstMs = performance.now() - first;
  const times = [];
  for (const text of queries.slice(1)) {
    const start = performance.now();
    await searchIndex(store, vectors, text, { limit: 10 });
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (p) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))].toFixed(0);
  console.log(`open: ${openMs.toFixed(0)} ms (${count} rows); RSS ${mb(rssBefore)} before, ${mb(rssOpen)} after open`);
  console.log(`hybrid (searchIndex, top 10, ${times.length} queries): first ${firstMs.toFixed(0)} ms, p50 ${at(50)} ms, p95 ${at(95)} ms; RSS after queries ${mb(process.memoryUsage().rss)}`);
  await store.close();
}

function queryInChild(dir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL(import.meta.url).pathname, '--open', dir, '--queries', String(QUERIES)], { stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`query process exited with ${code}`))));
  });
}

if (args.open) {
  await query(args.open);
} else {
  const dir = args.keep ?? join(REPO, '.scratch', `scale-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    await build(dir);
    await queryInChild(dir);
  } finally {
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
}
