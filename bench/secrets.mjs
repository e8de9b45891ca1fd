// Secrets leaving the machine. 1) A codebase with ≥ 60 planted secrets of many kinds (random values generated now,
// test/helpers/secretCorpus.mjs) is indexed with the real model, then queried through `ask --dry-run`, the MCP
// server's search_code and the prompt hook: per channel, how many secrets' lines came out and how many leaked.
// 2) False positives: redactions in the chunks of the 11 dev repositories (no real secrets; fixtures may hold fake
// ones), per 1,000 chunks, with examples, and the time redaction takes per 1,000 chunks.
// Usage: npm run bench:secrets [-- --mirrors /work/.mirror] [--work /tmp/codectx-secrets-bench] [--examples 40]
import path from 'node:path';
import { tmpdir } from 'node:os';
import { plantSecrets } from '../test/helpers/secretCorpus.mjs';
import { askDryRun, cli, hookContext, leakReport, mcpSearchAnswers, writeSecretRepo } from '../test/helpers/secretChannels.mjs';
import { falsePositives } from './secrets/falsePositives.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const mirrors = option('--mirrors', '/work/.mirror');
const workDir = option('--work', path.join(tmpdir(), 'codectx-secrets-bench'));
const examples = Number(option('--examples', 40));

const { files, secrets } = plantSecrets();
const { repo, home } = await writeSecretRepo(files);
const indexed = await cli(['index', repo, '--quiet'], { home, cwd: repo });
if (indexed.code !== 0) throw new Error(`index failed: ${indexed.stderr}`);
console.log(`planted          ${secrets.length} secrets of ${new Set(secrets.map((s) => s.kind)).size} kinds in ${Object.keys(files).length} files`);
for (const [channel, run] of [['ask --dry-run', askDryRun], ['mcp search_code', mcpSearchAnswers], ['hook', hookContext]]) {
  const { reached, leaked } = leakReport(await run(repo, home), secrets);
  const kinds = new Set(reached.map((s) => s.kind)).size;
  console.log(`${channel.padEnd(16)} lines out ${reached.length}/${secrets.length} (${kinds} kinds), leaks ${leaked.length}${leaked.length ? `: ${leaked.map((s) => s.kind).join(', ')}` : ''}`);
}

const { repos, finds } = await falsePositives({ mirrors, workDir });
console.log('\nrepository             chunks  redactions  chunks hit  per 1k chunks  ms per 1k chunks');
let chunks = 0;
let redactions = 0;
let ms = 0;
for (const r of repos) {
  if (r.missing) {
    console.log(`${r.name.padEnd(22)} (no mirror)`);
    continue;
  }
  chunks += r.chunks;
  redactions += r.redactions;
  ms += r.ms;
  console.log(`${r.name.padEnd(22)} ${String(r.chunks).padStart(6)}  ${String(r.redactions).padStart(10)}  ${String(r.chunksHit).padStart(10)}  ${((r.redactions / r.chunks) * 1000).toFixed(2).padStart(13)}  ${((r.ms / r.chunks) * 1000).toFixed(0).padStart(16)}`);
}
console.log(`${'all'.padEnd(22)} ${String(chunks).padStart(6)}  ${String(redactions).padStart(10)}  ${''.padStart(10)}  ${((redactions / chunks) * 1000).toFixed(2).padStart(13)}  ${((ms / chunks) * 1000).toFixed(0).padStart(16)}`);
const byKind = {};
for (const f of finds) for (const line of f.hidden) for (const [, kind] of line.matchAll(/\[REDACTED:([a-z0-9-]+)\]/g)) byKind[kind] = (byKind[kind] ?? 0) + 1;
console.log(`by kind          ${Object.entries(byKind).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
console.log(`\nexamples (first ${examples}):`);
for (const f of finds.slice(0, examples)) for (const line of f.hidden) console.log(`  ${f.repo}/${f.file}:${f.line}  ${line}`);
