import { plantSecrets } from '../test/helpers/secretCorpus.mjs';
import { writeSecretRepo, cli, askDryRun, hookContext, mcpSearchAnswers, leakReport } from '../test/helpers/secretChannels.mjs';
const { files, secrets } = plantSecrets();
const { repo, home } = await writeSecretRepo(files);
let t = performance.now();
const idx = await cli(['index', repo, '--quiet'], { home, cwd: repo }); console.log('index', idx.code, idx.stderr.slice(0,300), ((performance.now()-t)/1000).toFixed(1));
for (const [name, fn] of [['mcp', mcpSearchAnswers]]) {
  t = performance.now();
  const out = await fn(repo, home);
  const { reached, leaked } = leakReport(out, secrets);
  console.log(name, 'reached', reached.length, 'leaked', leaked.map(s => s.kind), ((performance.now()-t)/1000).toFixed(1), 's');
  console.log('  not reached:', secrets.filter(s => !reached.includes(s)).map(s => s.marker).join(' '));
  for (const s of leaked) { const f = s.fragments.find(f => out.includes(f)); const i = out.indexOf(f); console.log('---', s.kind, JSON.stringify(out.slice(i - 300, i + 100))); }
}
