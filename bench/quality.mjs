#!/usr/bin/env node
// Retrieval quality on real "task → code to change" cases (../shared/bench, 11 repositories): file@k, line@k and
// MRR per repository next to the BM25-window baseline, and their means.
//   npm run bench:quality [-- --repos fd,gin]   in-process: index commit by commit, search, save candidate pools
//   npm run bench:quality -- --force            the same, rebuilding each index first (embeddings come from the cache)
//   npm run bench:quality -- --cli              the shared scorer driving the built CLI (slower; the reference)
//   npm run bench:quality -- --repos flask,urfave-cli,koa,rack,cjson,javapoet,ky,bat   the held-out eight (quality/holdout)
// Pools saved here feed `node bench/quality/tune.mjs` (leave-one-repository-out choice of ranking constants).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED, casesFile, gitDirOf, githubOf, project, wantedRepos } from './quality/repos.mjs';
import { figures, firstHits } from './quality/score.mjs';

const BASELINE = JSON.parse(readFileSync(new URL('./quality/bm25-baseline.json', import.meta.url), 'utf8'));
const argv = process.argv.slice(2);
const repos = wantedRepos(argv, { holdout: true });

async function viaCli(repo) {
  const home = mkdtempSync(join(tmpdir(), 'codectx-quality-home-'));
  const work = mkdtempSync(join(tmpdir(), `codectx-quality-${repo}-`));
  const cli = `node ${join(project, 'bin', 'codectx.js')}`;
  try {
    const out = execFileSync(
      'python3',
      [
        join(SHARED, 'run_tasks.py'), casesFile(repo), gitDirOf(repo), join(work, 'tree'),
        '--index-cmd', `${cli} index {dir} --quiet`,
        '--search-cmd', `${cli} search {query} --path {dir} --limit {k} --json`,
        ...(process.env.SHOW ? ['--show'] : []),
      ],
      { env: { ...process.env, CODECTX_HOME: home }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 },
    );
    const f = JSON.parse(out.trim().split('\n').pop());
    return { ...f, mrr: f['mrr_line@10'], indexSeconds: f.index_s_total, searchP50: f.search_s_p50 * 1000 };
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

async function inProcess(repo) {
  const { gather } = await import('./quality/gather.mjs');
  const saved = await gather(repo, { force: argv.includes('--force') });
  const ms = [...saved.searchMs].sort((a, b) => a - b);
  return {
    ...figures(saved.cases.map((c) => firstHits(c.results, c.gold))),
    indexSeconds: saved.indexSeconds,
    searchP50: ms[Math.floor(ms.length / 2)],
  };
}

const rows = [];
for (const repo of repos) {
  if (!existsSync(gitDirOf(repo))) {
    console.error(`${repo}: no git directory at ${gitDirOf(repo)} (fetch github:${githubOf(repo)}); skipped`);
    continue;
  }
  rows.push({ repo, ...(argv.includes('--cli') ? await viaCli(repo) : await inProcess(repo)) });
}

const f2 = (n) => n.toFixed(2);
console.log('| repo | cases | file@1 | file@5 | line@5 | BM25 line@5 | line@10 | MRR | BM25 MRR | index s | search p50 ms |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const b = BASELINE[r.repo];
  console.log(
    `| ${r.repo} | ${r.cases} | ${f2(r['file@1'])} | ${f2(r['file@5'])} | ${f2(r['line@5'])} | ${f2(b['line@5'])} | ` +
      `${f2(r['line@10'])} | ${f2(r.mrr)} | ${f2(b.mrr)} | ${r.indexSeconds.toFixed(0)} | ${r.searchP50.toFixed(0)} |`,
  );
}
if (rows.length > 0) {
  const mean = (pick) => rows.reduce((sum, r) => sum + pick(r), 0) / rows.length;
  console.log(
    `mean over ${rows.length}: line@5 ${mean((r) => r['line@5']).toFixed(3)} (BM25 ${mean((r) => BASELINE[r.repo]['line@5']).toFixed(3)}), ` +
      `file@5 ${mean((r) => r['file@5']).toFixed(3)}, MRR ${mean((r) => r.mrr).toFixed(3)} (BM25 ${mean((r) => BASELINE[r.repo].mrr).toFixed(3)}); ` +
      `below BM25 line@5: ${rows.filter((r) => r['line@5'] < BASELINE[r.repo]['line@5']).map((r) => r.repo).join(', ') || 'none'}`,
  );
}
