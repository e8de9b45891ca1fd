// Walks each repository's cases oldest first (like ../shared/bench/run_tasks.py: the work tree moves commit by
// commit and is re-indexed incrementally), searches each case's query in-process, and saves per case
//   - the hits codectx's own search returns (scored by score.mjs like the shared scorer), and
//   - the candidate pools each side of the hybrid search saw (dense and keyword, DEPTH deep),
// so ranking ideas and constants can be re-scored offline in seconds (tune.mjs) without re-indexing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_HOME, CACHE_DIR, casesOf, gitDirOf, githubOf, project } from './repos.mjs';

export const DEPTH = 200;

process.env.CODECTX_HOME ??= BENCH_HOME;
const dist = (path) => import(join(project, 'dist', path));
const { loadConfig } = await dist('config/config.js');
const { resolveCodebase } = await dist('index/codebase.js');
const { Runtime } = await dist('runtime/runtime.js');
const { QueryVectors, searchIndex } = await dist('search/searcher.js');
const { taskText } = await dist('search/queryTerms.js');

function checkout(gitDir, workDir, commit) {
  mkdirSync(workDir, { recursive: true });
  execFileSync('git', ['--git-dir', gitDir, '--work-tree', workDir, 'read-tree', '-u', '--reset', commit], {
    env: { ...process.env, GIT_INDEX_FILE: `${workDir}.git-index` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

const slim = ({ vector, fileHash, contentHash, ...chunk }) => chunk;

export async function gather(repo, { limit = 10, force = false } = {}) {
  const gitDir = gitDirOf(repo);
  if (!existsSync(gitDir)) throw new Error(`${repo}: no git directory at ${gitDir} (fetch github:${githubOf(repo)})`);
  const workDir = join(CACHE_DIR, 'trees', repo);
  const cases = casesOf(repo);
  const chunks = new Map();
  const out = [];
  let indexSeconds = 0;
  const searchMs = [];
  let runtime;
  try {
    for (const [i, testCase] of cases.entries()) {
      checkout(gitDir, workDir, testCase.parent);
      const codebase = await resolveCodebase(workDir);
      runtime ??= new Runtime(loadConfig(codebase.root));
      const started = performance.now();
      // --force rebuilds each repository's index at its first case (measuring a change to what is stored per chunk).
      await runtime.index(codebase, { force: force && i === 0 }).catch(async (error) => {
        // A chunker or model change makes the cached index incompatible: rebuild it (the embedding cache stays).
        if (error?.constructor?.name !== 'IndexStateError') throw error;
        await runtime.index(codebase, { force: true });
      });
      indexSeconds += (performance.now() - started) / 1000;
      const { store } = await runtime.openIndex(codebase);
      const vectors = new QueryVectors(await runtime.embedder());
      const searchStarted = performance.now();
      const results = await searchIndex(store, vectors, testCase.query, { limit });
      searchMs.push(performance.now() - searchStarted);
      // Pools for the query as written and for its taskText (function words removed), on each side.
      const task = taskText(testCase.query);
      const [dense, keyword, denseTask, keywordTask] = await Promise.all([
        store.searchDense(await vectors.get(testCase.query), DEPTH),
        store.searchKeyword(testCase.query, DEPTH),
        store.searchDense(await vectors.get(task), DEPTH),
        store.searchKeyword(task, DEPTH),
      ]);
      const pool = (ranked) =>
        ranked.map(({ chunk, score }) => {
          chunks.set(chunk.id, slim(chunk));
          return [chunk.id, score];
        });
      out.push({
        query: testCase.query,
        gold: testCase.gold,
        results: results.map(({ file, startLine, endLine }) => ({ file, startLine, endLine })),
        dense: pool(dense),
        keyword: pool(keyword),
        denseTask: pool(denseTask),
        keywordTask: pool(keywordTask),
      });
      process.stderr.write(`\r${repo}: ${i + 1}/${cases.length} cases`);
    }
  } finally {
    await runtime?.close();
  }
  process.stderr.write('\n');
  const saved = { repo, depth: DEPTH, indexSeconds, searchMs, cases: out, chunks: Object.fromEntries(chunks) };
  mkdirSync(join(CACHE_DIR, 'pools'), { recursive: true });
  writeFileSync(join(CACHE_DIR, 'pools', `${repo}.json`), JSON.stringify(saved));
  return saved;
}
