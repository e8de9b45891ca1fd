// Verdict quality: the labelled tasks of bench/verdict/tasks.jsonl (REUSE / EXTEND / CREATE, see
// bench/verdict/README.md) run through the real pre-search (prepareTask) on indexes of the repositories at the
// labelled commits; prints precision and recall per verdict and the confusion matrix. The trees and indexes live
// under .scratch/verdict (built on the first run from the git mirrors in /work/.mirror, or CODECTX_BENCH_GIT_<REPO>).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = fileURLToPath(new URL('..', import.meta.url));
const scratch = join(project, '.scratch', 'verdict');
process.env.CODECTX_HOME = join(scratch, 'home');
const dist = (path) => import(join(project, 'dist', path));
const { withService } = await dist('app/service.js');
const { prepareTask } = await dist('context/prepare.js');
const { chunkRole } = await dist('search/roles.js');

const GITHUB = {
  express: 'expressjs/express',
  'commander.js': 'tj/commander.js',
  click: 'pallets/click',
  gin: 'gin-gonic/gin',
  requests: 'psf/requests',
  sinatra: 'sinatra/sinatra',
  zod: 'colinhacks/zod',
  gson: 'google/gson',
};
const tasks = readFileSync(new URL('./verdict/tasks.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line));

/** The repository's tree at the labelled commit (extracted once; the marker file says which commit), indexed. */
function tree(repo, commit) {
  const dir = join(scratch, 'trees', repo);
  const marker = join(scratch, 'trees', `${repo}.commit`);
  if (!existsSync(dir) || !existsSync(marker) || readFileSync(marker, 'utf8').trim() !== commit) {
    const envName = `CODECTX_BENCH_GIT_${repo.replace(/\W/g, '_').toUpperCase()}`;
    const gitDir = process.env[envName] ?? `/work/.mirror/${GITHUB[repo].replace('/', '+')}/repo`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['-C', gitDir, 'archive', commit], { maxBuffer: 1 << 30 });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    writeFileSync(marker, `${commit}\n`);
  }
  execFileSync(process.execPath, [join(project, 'bin', 'codectx.js'), 'index', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  return dir;
}

const KINDS = ['reuse', 'extend', 'create'];
const rows = [];
for (const repo of [...new Set(tasks.map((t) => t.repo))]) {
  const mine = tasks.filter((t) => t.repo === repo);
  const root = tree(repo, mine[0].commit);
  await withService({}, async (service) =>
    service.withTaskServices(await service.locate(root), async (services) => {
      for (const t of mine) {
        const { block } = await prepareTask({ root, task: t.task, rulesOnly: true }, services);
        rows.push({ ...t, got: block.verdict.kind, target: block.verdict.target });
      }
    }),
  );
}

const notCode = rows.filter((r) => r.target && r.got !== 'relevant' && chunkRole({ ...r.target, language: '', container: '', content: '' }) !== 'code');
console.log(`verdict tasks: ${rows.length} over ${new Set(rows.map((r) => r.repo)).size} repositories (default thresholds); rules are chosen on train, test is held out`);
const pct = (n, d) => (d ? `${((100 * n) / d).toFixed(0)}%` : '-');
for (const [title, part] of [['train', rows.filter((r) => r.split === 'train')], ['test', rows.filter((r) => r.split === 'test')], ['all', rows]]) {
  console.log(`\n${title} (${part.length} tasks)`);
  for (const kind of KINDS) {
    const said = part.filter((r) => r.got === kind);
    const labelled = part.filter((r) => r.verdict === kind);
    const right = said.filter((r) => r.verdict === kind).length;
    console.log(`${kind.toUpperCase().padEnd(7)} precision ${right}/${said.length} = ${pct(right, said.length)}   recall ${right}/${labelled.length} = ${pct(right, labelled.length)}`);
  }
}
console.log(`\nall: label \\ verdict  ${KINDS.map((k) => k.padStart(7)).join('')}`);
for (const kind of KINDS) {
  const cells = KINDS.map((got) => String(rows.filter((r) => r.verdict === kind && r.got === got).length).padStart(7));
  console.log(`${kind.padEnd(21)} ${cells.join('')}`);
}
console.log(`\nREUSE/EXTEND targets outside implementation code (by path): ${notCode.length}`);
if (process.argv.some((a) => a.startsWith('--verbose'))) {
  // --verbose=train prints the train half only: rules are chosen by looking at train, never at test.
  const only = process.argv.find((a) => a.startsWith('--verbose='))?.split('=')[1];
  for (const r of rows.filter((row) => !only || row.split === only)) {
    const where = r.target ? `${r.target.file}:${r.target.startLine} ${r.target.symbol} (${r.target.similarity.toFixed(2)})` : '';
    console.log(`${r.verdict === r.got ? ' ' : '✗'} ${r.split.padEnd(5)} ${r.verdict.padEnd(6)} → ${r.got.padEnd(8)} ${r.repo}: ${r.task}  ${where}`);
  }
}
