// Chunking throughput on corpora every machine has: TypeScript's compiled lib/*.js and the Python stdlib.
// Prints MB/s, chunks/s, files, peak RSS and RSS sampled over time (it must stay flat: wasm trees freed).
// Usage: npm run bench:chunk [-- --max-tokens N] [--limit FILES]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createChunker } from '../dist/chunk/chunker.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const maxTokens = option('--max-tokens', 256);
const limit = option('--limit', Infinity);

function walk(dir, extension, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, extension, out);
    else if (entry.isFile() && entry.name.endsWith(extension)) out.push(full);
  }
  return out;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsLib = path.join(root, 'node_modules/typescript/lib');
const files = readdirSync(tsLib).filter((f) => f.endsWith('.js')).map((f) => path.join(tsLib, f));
try {
  const stdlib = execFileSync('python3', ['-c', 'import sysconfig;print(sysconfig.get_paths()["stdlib"])'], { encoding: 'utf8' }).trim();
  walk(stdlib, '.py', files);
} catch {
  console.log('python3 not found: TypeScript lib only');
}
const corpus = files.slice(0, limit);

const chunker = await createChunker({ maxTokens });
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const samples = [];
let bytes = 0;
let chunks = 0;
let peakRss = 0;
const start = performance.now();
const cpuStart = process.cpuUsage();
for (let i = 0; i < corpus.length; i++) {
  const file = corpus[i];
  if (statSync(file).size > 20 * 1024 * 1024) continue;
  const content = readFileSync(file, 'utf8');
  bytes += Buffer.byteLength(content);
  chunks += (await chunker.chunk(path.relative(root, file), content)).length;
  if (i % 25 !== 0 && i !== corpus.length - 1) continue; // reading RSS is a syscall: sample it
  const rss = process.memoryUsage.rss();
  peakRss = Math.max(peakRss, rss);
  if (i % 1000 === 0 || i === corpus.length - 1) samples.push(`${i + 1}:${mb(rss)}`);
}
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
// CPU seconds of this process: the wall clock overstates the cost on a machine shared with other work.
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(`files            ${corpus.length}`);
console.log(`input            ${mb(bytes)} MB`);
console.log(`chunks           ${chunks} (max ${maxTokens} tokens)`);
console.log(`time             ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU`);
console.log(`throughput       ${(bytes / 1024 / 1024 / seconds).toFixed(2)} MB/s, ${Math.round(chunks / seconds)} chunks/s (wall)`);
console.log(`per CPU second   ${(bytes / 1024 / 1024 / cpuSeconds).toFixed(2)} MB/s, ${Math.round(chunks / cpuSeconds)} chunks/s`);
console.log(`peak RSS         ${mb(peakRss)} MB (sampled every 25 files)`);
console.log(`RSS (file:MB)    ${samples.join(' ')}`);
