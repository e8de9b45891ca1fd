#!/usr/bin/env node
// Freshness through the daemon: how long from saving a file until search returns the new content, what a query
// costs warm (daemon) and cold (a CLI process loading the model), the daemon's memory, and how many index runs
// a `git checkout` of 500 files costs. Then the corpus is copied until the index holds ~100k chunks and the
// queries and memory are measured again. Figures are printed, not asserted.
// Corpus: a copy of two real TypeScript sources from node_modules (openai/src + zod/src without tests, ~370
// files, ~8k chunks). The copies embed nothing new: a chunk's vector is cached by its text, not its path.
// Usage: npm run bench:fresh [-- --edits 60]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = fileURLToPath(new URL('..', import.meta.url));
const editsArg = process.argv.indexOf('--edits');
const EDITS = editsArg > 0 ? Number(process.argv[editsArg + 1]) : 60;
const base = mkdtempSync(join(tmpdir(), 'codectx-fresh-'));
const home = join(base, 'home');
const repo = join(base, 'repo');
process.env.CODECTX_HOME = home;
const { connectDaemon } = await import('../dist/daemon/client.js');
const { configKey } = await import('../dist/config/configKey.js');
const { loadConfig } = await import('../dist/config/config.js');

const bin = join(project, 'bin', 'codectx.js');
const QUERIES = [
  'parse a string into a number schema', 'stream chat completion chunks', 'retry a request with exponential backoff',
  'validate an email address', 'upload a file with multipart form data', 'refine a schema with a custom check',
  'build the request headers with the api key', 'discriminated union of object schemas', 'paginate through list results',
  'convert a zod schema to json schema', 'handle a rate limit error', 'default value when the input is undefined',
  'abort a request with a signal', 'merge two object schemas', 'parse server sent events', 'format error issues into a message',
  'transcribe audio to text', 'coerce input to a date', 'record with string keys', 'webhook signature verification',
];
const cli = (args) => execFileSync(process.execPath, [bin, ...args], { env: process.env, encoding: 'utf8' });
const cliSearch = (query) => cli(['search', query, '--path', repo, '--json', '--limit', '10']);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const ms = (value) => `${Math.round(value)} ms`;
const rssMb = (pid, field = 'VmRSS') => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
};

mkdirSync(repo, { recursive: true });
cpSync(join(project, 'node_modules', 'openai', 'src'), join(repo, 'openai'), { recursive: true });
// zod's sources without its tests: together ~370 files, an index of some thousands of chunks.
cpSync(join(project, 'node_modules', 'zod', 'src'), join(repo, 'zod'), { recursive: true, filter: (path) => !/[/\\]tests?$/.test(path) });
const sources = listFiles(repo).filter((path) => /\.(ts|js)$/.test(path) && !path.endsWith('.d.ts'));
console.log(`corpus: ${sources.length} source files (openai/src + zod/src without tests), ${Math.round(sources.reduce((n, p) => n + statSync(p).size, 0) / 1024)} KB`);

const startDaemon = () => Number(/pid (\d+)/.exec(cli(['daemon', 'start']))[1]);
let pid = startDaemon();
let client;
try {
  client = await connectDaemon();
  const key = configKey(loadConfig(repo));
  const search = (query, limit = 10) => client.search(repo, query, { limit, configKey: key });
  const runs = async () => (await client.status()).codebases[0]?.runs ?? 0;
  // Every query in three wordings through the daemon (60 samples: 20 left the p50 a few ms apart between runs), then
  // a few as CLI processes through it.
  const wordings = QUERIES.flatMap((query) => ['', ' please', ' quickly'].map((wording) => `${query}${wording}`));
  const warmQueries = async (suffix) => ({
    warm: await timeEach(wordings, (query) => search(`${query}${suffix}`)),
    cliWarm: await timeEach(QUERIES.slice(0, 8), cliSearch),
  });
  // Prints the warm figures, then stops the daemon and times CLI processes that load the model themselves.
  const reportQueries = async ({ chunks, warm, cliWarm }) => {
    console.log(`\nqueries at ${chunks} chunks (${wordings.length}: ${QUERIES.length} distinct in 3 wordings, top 10):`);
    console.log(`  through the daemon (warm model, new query): p50 ${ms(pct(warm, 50))}  p95 ${ms(pct(warm, 95))}`);
    console.log(`  CLI process through the daemon:            p50 ${ms(pct(cliWarm, 50))}  p95 ${ms(pct(cliWarm, 95))}`);
    client.close();
    client = undefined;
    cli(['daemon', 'stop']);
    const cold = await timeEach(QUERIES.slice(0, 5), cliSearch);
    console.log(`  cold CLI (no daemon: process start + model load): p50 ${ms(pct(cold, 50))}  p95 ${ms(pct(cold, 95))}`);
  };
  const settle = async () => {
    // Idle, nothing queued, and no new run for a while: the burst is fully absorbed.
    let quietSince = Date.now();
    let last = await runs();
    while (Date.now() - quietSince < 3000) {
      await sleep(200);
      const status = (await client.status()).codebases[0];
      const now = status.runs;
      if (now !== last || status.state !== 'idle' || status.queue > 0) quietSince = Date.now();
      last = now;
    }
  };

  // Initial index, sampling memory while it embeds.
  let peakIndexing = 0;
  const sampler = setInterval(() => (peakIndexing = Math.max(peakIndexing, rssMb(pid))), 100);
  const initialStart = performance.now();
  await client.add(repo, key);
  while ((await runs()) === 0) await sleep(200);
  const initialSeconds = (performance.now() - initialStart) / 1000;
  clearInterval(sampler);
  const afterInitial = (await client.status()).codebases[0];
  console.log(`initial index: ${afterInitial.files} files, ${afterInitial.chunks} chunks in ${initialSeconds.toFixed(1)} s; peak RSS ${peakIndexing} MB`);
  await settle();

  // Change → searchable: modify, create, delete, in rotation.
  const modifiable = sources.filter((path) => statSync(path).size < 20_000);
  mkdirSync(join(repo, 'fresh'), { recursive: true });
  const editLatencies = async (count, first) => {
    const latencies = { modify: [], create: [], delete: [] };
    const created = [];
    for (let edit = first; edit < first + count; edit++) {
      const kind = ['modify', 'create', 'delete'][edit % 3];
      const name = `freshProbe${edit}Quokka${Math.random().toString(36).slice(2, 7)}`;
      const body = `\nexport function ${name}(input: number): number {\n  return input * ${edit + 2};\n}\n`;
      const started = performance.now();
      let visible;
      if (kind === 'modify') {
        const path = modifiable[edit % modifiable.length];
        writeFileSync(path, readFileSync(path, 'utf8') + body);
        visible = (results) => results.some((r) => r.content.includes(name));
      } else if (kind === 'create') {
        const path = join(repo, 'fresh', `${name}.ts`);
        writeFileSync(path, body);
        created.push({ path, name });
        visible = (results) => results.some((r) => r.content.includes(name));
      } else {
        const victim = created.shift();
        unlinkSync(victim.path);
        const gone = victim.name;
        visible = (results) => !results.some((r) => r.content.includes(gone));
        await pollUntil(() => search(gone), visible);
        latencies.delete.push(performance.now() - started);
        continue;
      }
      await pollUntil(() => search(name), visible);
      latencies[kind].push(performance.now() - started);
    }
    const all = [...latencies.modify, ...latencies.create, ...latencies.delete];
    console.log(`\nchange → searchable through the daemon (${all.length} edits; debounce 200 ms quiet, 2 s max):`);
    for (const [kind, values] of Object.entries({ ...latencies, all })) {
      console.log(`  ${kind.padEnd(7)} n=${String(values.length).padEnd(3)} p50 ${ms(pct(values, 50))}  p95 ${ms(pct(values, 95))}  max ${ms(Math.max(...values))}`);
    }
  };
  await editLatencies(EDITS, 0);
  const daemonView = (await client.status()).codebases[0];
  console.log(`  daemon's own p50 (change → indexed): ${daemonView.p50LatencyMs} ms`);
  await settle();

  // Queries: warm through the daemon (model loaded, query not cached), then the CLI through the daemon.
  const small = { chunks: afterInitial.chunks, ...(await warmQueries('')) };
  const busyRss = rssMb(pid);
  // Idle means past the model's recycle (30 s after its last bulk batch), as a daemon spends most of its day.
  await sleep(35_000);
  const idleRss = rssMb(pid);

  // A simulated `git checkout` of 500 files: every source file rewritten and the rest added by the branch, at
  // once; then the switch back (originals restored, added files deleted).
  const switched = sources.slice(0, 500);
  const added = Array.from({ length: 500 - switched.length }, (_, i) => join(repo, 'branch', `feature${i}.ts`));
  const originals = switched.map((path) => readFileSync(path, 'utf8'));
  mkdirSync(join(repo, 'branch'), { recursive: true });
  const checkoutRuns = [];
  let peakCheckout = 0;
  for (const direction of ['switch', 'switch back']) {
    const before = await runs();
    const sampler = setInterval(() => (peakCheckout = Math.max(peakCheckout, rssMb(pid))), 100);
    const started = performance.now();
    switched.forEach((path, i) =>
      writeFileSync(path, direction === 'switch' ? `${originals[i]}\n// branch feature/x: ${i}\n` : originals[i]),
    );
    added.forEach((path, i) =>
      direction === 'switch'
        ? writeFileSync(path, `export function featureStep${i}(input: string): string {\n  return input.trim() + '${i}';\n}\n`)
        : unlinkSync(path),
    );
    const written = performance.now() - started;
    await settle();
    clearInterval(sampler);
    checkoutRuns.push({ direction, runs: (await runs()) - before, writtenMs: written, seconds: (performance.now() - started - 3000) / 1000 });
  }
  const peakRss = rssMb(pid, 'VmHWM');

  await reportQueries(small);

  console.log(`\ngit checkout of 500 files (${switched.length} modified, ${added.length} added; then switched back):`);
  for (const run of checkoutRuns) {
    console.log(`  ${run.direction.padEnd(11)} written in ${ms(run.writtenMs)}, absorbed in ${run.runs} index run(s), settled after ~${run.seconds.toFixed(1)} s`);
  }
  console.log(`\nmemory (daemon RSS): after the queries ${busyRss} MB, idle 35 s later ${idleRss} MB, peak while indexing ${Math.max(peakIndexing, peakCheckout)} MB (high-water mark ${peakRss} MB)`);

  // ~100k chunks: copies of the corpus, absorbed by a restarted daemon (which reconciles on start, then watches).
  pid = startDaemon();
  client = await connectDaemon();
  await settle();
  const copies = Math.max(1, Math.round(100_000 / afterInitial.chunks) - 1);
  const before = (await client.status()).codebases[0];
  let peakGrowing = 0;
  const growSampler = setInterval(() => (peakGrowing = Math.max(peakGrowing, rssMb(pid))), 100);
  const growStart = performance.now();
  for (let copy = 1; copy <= copies; copy++) {
    for (const dir of ['openai', 'zod']) cpSync(join(repo, dir), join(repo, 'copies', String(copy), dir), { recursive: true });
  }
  await settle();
  clearInterval(growSampler);
  const grown = (await client.status()).codebases[0];
  console.log(
    `\n${copies} copies of the corpus: ${before.chunks} → ${grown.chunks} chunks in ${((performance.now() - growStart) / 1000 - 3).toFixed(1)} s ` +
      `(${grown.runs - before.runs} index run(s)); peak RSS ${peakGrowing} MB`,
  );
  await editLatencies(30, EDITS);
  await settle();
  const large = { chunks: grown.chunks, ...(await warmQueries(' function')) }; // not queries asked before: nothing cached
  const busyRssLarge = rssMb(pid);
  await sleep(35_000);
  const idleRssLarge = rssMb(pid);
  // The same queries once the store's background work is done: right after a bulk change LanceDB may still be
  // training the vector index again (src/store/lance.ts), in the daemon's process, on the same cores.
  const idleWarm = await timeEach(wordings, (query) => search(`${query} method`));
  console.log(`\nqueries at ${grown.chunks} chunks, 35 s after the last change: through the daemon p50 ${ms(pct(idleWarm, 50))}  p95 ${ms(pct(idleWarm, 95))}`);
  await reportQueries(large);
  console.log(`memory (daemon RSS) at ${grown.chunks} chunks: after the queries ${busyRssLarge} MB, idle 35 s later ${idleRssLarge} MB`);
} finally {
  client?.close();
  spawnSync(process.execPath, [bin, 'daemon', 'stop'], { env: process.env });
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Stopped cleanly.
  }
  rmSync(base, { recursive: true, force: true });
}

async function timeEach(items, run) {
  const times = [];
  for (const item of items) {
    const started = performance.now();
    await run(item);
    times.push(performance.now() - started);
  }
  return times;
}

async function pollUntil(query, done, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!done(await query())) {
    if (Date.now() > deadline) throw new Error('change not visible within 30 s');
    await sleep(20);
  }
}

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}
