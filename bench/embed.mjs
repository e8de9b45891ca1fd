// Local embedding model figures: chunks/s at batch 1 (the default), 8 and 32 (int8, and fp32 at 1), peak RSS, cold model load
// (first graph build vs cached graph), and single-query latency. Each measurement runs in its own process with a
// shared fresh CODECTX_HOME, so RSS and load times are not polluted by the previous one.
// Chunks are real code: top-level functions of node_modules/typescript/lib/typescript.js of 200-400 model tokens
// (the model reads the first 254). Usage: npm run bench:embed [-- --chunks N]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

const part = option('--part');
if (part) {
  console.log(JSON.stringify(await runPart(part)));
} else {
  orchestrate();
}

function orchestrate() {
  const home = mkdtempSync(path.join(tmpdir(), 'codectx-bench-embed-'));
  const chunks = option('--chunks', '200');
  const run = (...partArgs) =>
    JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...partArgs, '--chunks', chunks], {
        env: { ...process.env, CODECTX_HOME: home },
        encoding: 'utf8',
      })
        .trim()
        .split('\n')
        .pop(),
    );
  try {
    console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (2 cores)`);
    const build = run('--part', 'load');
    const cached = [run('--part', 'load'), run('--part', 'load'), run('--part', 'load')];
    console.log(`cold load, first run (graph built):   ${fmtLoad(build)}`);
    for (const load of cached) console.log(`cold load, cached graph:              ${fmtLoad(load)}`);

    for (const [variant, batch] of [
      ['int8', 1],
      ['int8', 8],
      ['int8', 32],
      ['fp32', 1],
    ]) {
      const result = run('--part', 'throughput', '--variant', variant, '--batch', String(batch));
      console.log(
        `${variant} batch ${String(batch).padEnd(2)}: ${result.chunksPerSecond.toFixed(1)} chunks/s ` +
          `(${result.chunks} chunks, ${result.meanTokens.toFixed(0)} tokens mean before truncation, ${result.seconds.toFixed(1)} s), ` +
          `RSS ${result.rssMb.toFixed(0)} MB after embedding (process peak ${result.peakRssMb.toFixed(0)} MB, ` +
          `including reading typescript.js); CPU ${result.cpuSeconds.toFixed(1)} s, ` +
          `i.e. ${((2 * result.chunks) / result.cpuSeconds).toFixed(1)} chunks/s if both cores were ours`,
      );
    }
    const query = run('--part', 'query');
    console.log(`query embedding (int8, one at a time, ${query.count} queries): p50 ${query.p50.toFixed(1)} ms, p95 ${query.p95.toFixed(1)} ms`);
    console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function fmtLoad(load) {
  return `${load.readyMs.toFixed(0)} ms from process start (create ${load.createMs.toFixed(0)} ms)`;
}

async function runPart(name) {
  const { createEmbeddingProvider } = await import('../dist/embed/index.js');
  if (name === 'load') {
    const start = performance.now();
    const provider = await createEmbeddingProvider({ provider: 'local' });
    const result = { readyMs: performance.now(), createMs: performance.now() - start, built: provider.modelCache.built };
    await provider.close();
    return result;
  }
  if (name === 'throughput') {
    const provider = await createEmbeddingProvider({
      provider: 'local',
      variant: option('--variant', 'int8'),
      batchSize: Number(option('--batch', '8')),
    });
    const chunks = codeChunks(provider, Number(option('--chunks', '200')));
    globalThis.gc?.(); // drop typescript.js, so RSS is the model's
    await provider.embed(chunks.slice(0, 8)); // warm-up: first runs allocate buffers
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    await provider.embed(chunks);
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const rssMb = process.memoryUsage().rss / 1048576;
    const meanTokens = chunks.reduce((sum, chunk) => sum + provider.countTokens(chunk), 0) / chunks.length;
    await provider.close();
    return {
      chunks: chunks.length,
      chunksPerSecond: chunks.length / seconds,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      meanTokens,
      rssMb,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    };
  }
  if (name === 'query') {
    const provider = await createEmbeddingProvider({ provider: 'local' });
    const queries = ['find authentication logic', 'where are http retries handled', 'parse command line flags', 'read the config file'];
    await provider.embed([queries[0]]);
    const times = [];
    for (let i = 0; i < 60; i++) {
      const start = performance.now();
      await provider.embed([`${queries[i % queries.length]} ${i}`]);
      times.push(performance.now() - start);
    }
    await provider.close();
    times.sort((a, b) => a - b);
    return { count: times.length, p50: times[Math.floor(times.length / 2)], p95: times[Math.floor(times.length * 0.95)] };
  }
  throw new Error(`unknown part ${name}`);
}

/** Top-level functions of TypeScript's compiler bundle with 200-400 tokens, spread over the file. */
function codeChunks(provider, count) {
  const lines = readFileSync(path.join(root, 'node_modules/typescript/lib/typescript.js'), 'utf8').split('\n');
  const starts = [];
  lines.forEach((line, i) => line.startsWith('function ') && starts.push(i));
  const candidates = [];
  for (let k = 0; k + 1 < starts.length; k++) {
    const text = lines.slice(starts[k], starts[k + 1]).join('\n').trim();
    if (text.length < 500 || text.length > 2500) continue;
    const tokens = provider.countTokens(text);
    if (tokens >= 200 && tokens <= 400) candidates.push(text);
  }
  const step = Math.max(1, Math.floor(candidates.length / count));
  return candidates.filter((_, i) => i % step === 0).slice(0, count);
}
