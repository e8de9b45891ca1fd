#!/usr/bin/env node
// Retrieval quality on real "task → code to change" cases (../shared/bench): runs the shared scorer with
// codectx's own index and search commands on each repository and prints file@k, line@k and MRR.
// Usage: npm run bench:quality [-- repo ...]   (repos: requests express cobra commander.js)
// Git directories come from CODECTX_BENCH_GIT_<REPO> or the fetch tool's mirror folder.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = fileURLToPath(new URL('..', import.meta.url));
const shared = process.env.CODECTX_SHARED_BENCH ?? resolve(project, '..', 'shared', 'bench');
const REPOS = {
  requests: 'psf+requests',
  express: 'expressjs+express',
  cobra: 'spf13+cobra',
  'commander.js': 'tj+commander.js',
};
const BASELINE = { requests: 0.4, express: 0.52, cobra: 0.33, 'commander.js': 0.5 };

const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(REPOS);
const home = mkdtempSync(join(tmpdir(), 'codectx-quality-home-'));
const cli = `node ${join(project, 'bin', 'codectx.js')}`;
const rows = [];
for (const repo of wanted) {
  const envName = `CODECTX_BENCH_GIT_${repo.replace(/\W/g, '_').toUpperCase()}`;
  const gitDir = process.env[envName] ?? `/work/.mirror/${REPOS[repo]}/repo`;
  if (!existsSync(gitDir)) {
    console.error(`${repo}: no git directory at ${gitDir} (fetch github:${REPOS[repo].replace('+', '/')} or set ${envName}); skipped`);
    continue;
  }
  const work = mkdtempSync(join(tmpdir(), `codectx-quality-${repo}-`));
  const started = Date.now();
  const out = execFileSync(
    'python3',
    [
      join(shared, 'run_tasks.py'),
      join(shared, 'cases', `${repo}.jsonl`),
      gitDir,
      join(work, 'tree'),
      '--index-cmd', `${cli} index {dir} --quiet`,
      '--search-cmd', `${cli} search {query} --path {dir} --limit {k} --json`,
      ...(process.env.SHOW ? ['--show'] : []),
    ],
    { env: { ...process.env, CODECTX_HOME: home }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 },
  );
  const figures = JSON.parse(out.trim().split('\n').pop());
  rows.push({ repo, ...figures, wall_s: Math.round((Date.now() - started) / 1000) });
  rmSync(work, { recursive: true, force: true });
}
rmSync(home, { recursive: true, force: true });

const fmt = (n) => (typeof n === 'number' ? n.toFixed(2) : String(n));
console.log('| repo | cases | file@1 | file@5 | line@5 | line@10 | MRR | BM25 line@5 | index s | search p50 s |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.repo} | ${r.cases} | ${fmt(r['file@1'])} | ${fmt(r['file@5'])} | ${fmt(r['line@5'])} | ${fmt(r['line@10'])} | ` +
      `${fmt(r['mrr_line@10'])} | ${fmt(BASELINE[r.repo])} | ${fmt(r.index_s_total)} | ${fmt(r.search_s_p50)} |`,
  );
}
if (rows.length > 0) {
  const mean = (key) => rows.reduce((sum, r) => sum + r[key], 0) / rows.length;
  console.log(`mean line@5 ${mean('line@5').toFixed(3)} (BM25 baseline ${(rows.reduce((s, r) => s + BASELINE[r.repo], 0) / rows.length).toFixed(3)}), mean file@5 ${mean('file@5').toFixed(3)}, mean MRR ${mean('mrr_line@10').toFixed(3)}`);
}
