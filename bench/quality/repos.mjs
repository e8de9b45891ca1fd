// The shared "task → code to change" repositories, where their cases and git mirrors are, and the bench's home.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const project = fileURLToPath(new URL('../..', import.meta.url));
export const SHARED = process.env.CODECTX_SHARED_BENCH ?? resolve(project, '..', 'shared', 'bench');

/** The repositories of ../shared/bench/cases, each with its GitHub name (its BM25 baseline is in bm25-baseline.json). */
export const REPOS = {
  requests: { github: 'psf/requests' },
  express: { github: 'expressjs/express' },
  cobra: { github: 'spf13/cobra' },
  'commander.js': { github: 'tj/commander.js' },
  fd: { github: 'sharkdp/fd' },
  gin: { github: 'gin-gonic/gin' },
  gson: { github: 'google/gson' },
  sinatra: { github: 'sinatra/sinatra' },
  zod: { github: 'colinhacks/zod' },
  click: { github: 'pallets/click' },
  jq: { github: 'jqlang/jq' },
};

/**
 * Repositories no constant was ever chosen on: cases made by ../shared/bench/build_tasks.py (--max 30; --since
 * 2012-01-01 for flask, urfave-cli, cjson and javapoet, whose recent history has too few small commits), kept in ./holdout. They
 * check that a figure carries over; tune.mjs never reads them, and they are scored only when named (--repos).
 */
export const HOLDOUT = {
  flask: { github: 'pallets/flask' },
  'urfave-cli': { github: 'urfave/cli' },
  koa: { github: 'koajs/koa' },
  rack: { github: 'rack/rack' },
  cjson: { github: 'DaveGamble/cJSON' },
  javapoet: { github: 'square/javapoet' },
  ky: { github: 'sindresorhus/ky' },
  bat: { github: 'sharkdp/bat' },
};
const ALL = { ...REPOS, ...HOLDOUT };

// Persistent so reruns reuse the embedding cache and the incremental index; CODECTX_BENCH_CACHE moves it.
export const CACHE_DIR = process.env.CODECTX_BENCH_CACHE ?? join(project, '.scratch', 'bench-quality');
export const BENCH_HOME = join(CACHE_DIR, 'home');

/** A repository's GitHub name, shared or held out. */
export const githubOf = (repo) => ALL[repo].github;

export function gitDirOf(repo) {
  const envName = `CODECTX_BENCH_GIT_${repo.replace(/\W/g, '_').toUpperCase()}`;
  return process.env[envName] ?? `/work/.mirror/${githubOf(repo).replace('/', '+')}/repo`;
}

export function casesFile(repo) {
  return HOLDOUT[repo] ? fileURLToPath(new URL(`./holdout/${repo}.jsonl`, import.meta.url)) : join(SHARED, 'cases', `${repo}.jsonl`);
}

export function casesOf(repo) {
  return readFileSync(casesFile(repo), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** `--repos a,b` or positional names (held-out ones only with `holdout`); the shared eleven when none given. */
export function wantedRepos(argv, { holdout = false } = {}) {
  const known = holdout ? ALL : REPOS;
  const i = argv.indexOf('--repos');
  const named = i >= 0 ? argv[i + 1].split(',') : argv.filter((a) => !a.startsWith('-') && known[a]);
  for (const repo of named) if (!known[repo]) throw new Error(`unknown repository ${repo}; known: ${Object.keys(known).join(', ')}`);
  return named.length > 0 ? named : Object.keys(REPOS);
}
