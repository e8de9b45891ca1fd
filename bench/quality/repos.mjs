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

// Persistent so reruns reuse the embedding cache and the incremental index; CODECTX_BENCH_CACHE moves it.
export const CACHE_DIR = process.env.CODECTX_BENCH_CACHE ?? join(project, '.scratch', 'bench-quality');
export const BENCH_HOME = join(CACHE_DIR, 'home');

export function gitDirOf(repo) {
  const envName = `CODECTX_BENCH_GIT_${repo.replace(/\W/g, '_').toUpperCase()}`;
  return process.env[envName] ?? `/work/.mirror/${REPOS[repo].github.replace('/', '+')}/repo`;
}

export function casesOf(repo) {
  return readFileSync(join(SHARED, 'cases', `${repo}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** `--repos a,b` or positional names; all when none given. */
export function wantedRepos(argv) {
  const i = argv.indexOf('--repos');
  const named = i >= 0 ? argv[i + 1].split(',') : argv.filter((a) => !a.startsWith('-') && REPOS[a]);
  for (const repo of named) if (!REPOS[repo]) throw new Error(`unknown repository ${repo}; known: ${Object.keys(REPOS).join(', ')}`);
  return named.length > 0 ? named : Object.keys(REPOS);
}
