#!/usr/bin/env node
// A second checkout of the same repository: index a copy of a source tree, then a second copy of it (a clone or
// a git worktree), each with the real local model through the CLI, and print what each run embedded, took from
// the embedding cache, and how long it took. Figures are printed, not asserted.
// Corpus: this project's src/, test/ and bench/ (about 1,800 chunks), or the folder given with --corpus.
// Usage: npm run bench:checkout [-- --corpus <folder>]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = fileURLToPath(new URL('..', import.meta.url));
const corpusArg = process.argv.indexOf('--corpus');
const sources = corpusArg > 0 ? [process.argv[corpusArg + 1]] : ['src', 'test', 'bench'].map((name) => join(project, name));
const base = mkdtempSync(join(tmpdir(), 'codectx-checkout-'));
const env = { ...process.env, CODECTX_HOME: join(base, 'home') };

function checkout(name) {
  const root = join(base, name);
  for (const source of sources) cpSync(source, join(root, source.split('/').pop()), { recursive: true, filter: (path) => !path.includes('node_modules') });
  return root;
}

function index(root) {
  const started = performance.now();
  const report = JSON.parse(execFileSync('node', [join(project, 'bin', 'codectx.js'), 'index', root, '--json'], { env, encoding: 'utf8' }));
  return { chunks: report.chunksWritten, embedded: report.embedded, fromCache: report.cacheHits, seconds: ((performance.now() - started) / 1000).toFixed(1) };
}

try {
  const first = index(checkout('first'));
  console.log(`first checkout:  ${first.chunks} chunks, ${first.embedded} embedded, ${first.fromCache} from cache, ${first.seconds} s`);
  const second = index(checkout('second'));
  console.log(`second checkout: ${second.chunks} chunks, ${second.embedded} embedded, ${second.fromCache} from cache, ${second.seconds} s`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
