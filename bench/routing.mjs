// Routing and pre-search figures: classifier speed (rules only, and with the local model), agreement on the
// labelled tasks, redaction throughput, context building. Run after `npx tsc -p tsconfig.json`.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

process.env.CODECTX_HOME = mkdtempSync(join(tmpdir(), 'codectx-bench-routing-'));
const dist = new URL('../dist/', import.meta.url);
const { TaskClassifier } = await import(new URL('route/classify.js', dist));
const { defaultPolicy } = await import(new URL('route/policy.js', dist));
const { redactSecrets } = await import(new URL('providers/redact.js', dist));
const { buildContext } = await import(new URL('context/build.js', dist));
const { estimateTokens } = await import(new URL('providers/tokens.js', dist));

const tasks = JSON.parse(readFileSync(new URL('../test/fixtures/routing/labelled-tasks.json', import.meta.url), 'utf8'));
const policy = defaultPolicy();

async function agreement(classifier) {
  let agree = 0;
  const started = performance.now();
  for (const t of tasks) if ((await classifier.classify(t.task)).category === t.category) agree++;
  return { agree, ms: (performance.now() - started) / tasks.length };
}

const rules = new TaskClassifier(policy);
await agreement(rules); // warm up the regex engine
const reps = 20;
let started = performance.now();
for (let i = 0; i < reps; i++) for (const t of tasks) await rules.classify(t.task);
const rulesUs = ((performance.now() - started) * 1000) / (reps * tasks.length);
const rulesAgreement = await agreement(rules);
console.log(`classify, rules only:        ${rulesUs.toFixed(0)} µs/task; agreement ${rulesAgreement.agree}/${tasks.length}`);

if (existsSync(new URL('embed/index.js', dist))) {
  const { createEmbeddingProvider } = await import(new URL('embed/index.js', dist));
  started = performance.now();
  const embedder = await createEmbeddingProvider({ provider: 'local' });
  console.log(`local model load:            ${(performance.now() - started).toFixed(0)} ms`);
  started = performance.now();
  await embedder.embed(['warm up the inference session']);
  console.log(`first inference (warm-up):   ${(performance.now() - started).toFixed(0)} ms`);
  const cold = new TaskClassifier(policy, embedder);
  started = performance.now();
  await cold.classify(tasks[0].task);
  console.log(`first classify (embeds ${policy.examples.length} examples): ${(performance.now() - started).toFixed(0)} ms`);
  const warm = new TaskClassifier(policy, embedder);
  started = performance.now();
  await warm.classify(tasks[1].task);
  console.log(`first classify, cached examples: ${(performance.now() - started).toFixed(0)} ms`);
  const withModel = await agreement(warm);
  console.log(`classify, rules + examples:  ${withModel.ms.toFixed(1)} ms/task; agreement ${withModel.agree}/${tasks.length}`);
  await embedder.close();
} else {
  console.log('local model: dist/embed/index.js not built, skipped');
}

const line = 'export function handler(req, res) { const total = items.reduce((a, b) => a + b.price, 0); return res.json({ total }); }\n';
const source = line.repeat(Math.ceil(1_000_000 / line.length)) + 'const password = "hunter2-prod";\n';
started = performance.now();
const redacted = redactSecrets(source);
const redactMs = performance.now() - started;
console.log(`redaction:                   ${((source.length / 1e6) / (redactMs / 1000)).toFixed(1)} MB/s (${redacted.count} found in ${(source.length / 1e6).toFixed(1)} MB)`);

const results = Array.from({ length: 20 }, (_, i) => ({
  file: `src/module${i % 7}.ts`,
  startLine: (i % 3) * 40 + 1,
  endLine: (i % 3) * 40 + 45,
  symbol: `fn${i}`,
  kind: 'function',
  container: '',
  language: 'typescript',
  score: 1 / (60 + i),
  dense: { score: 0.7 - i * 0.02, rank: i + 1 },
  content: Array.from({ length: 45 }, (_, l) => `  const value${l} = compute(${l}, options);`).join('\n'),
}));
started = performance.now();
for (let i = 0; i < 100; i++) buildContext('task', results, { budgetTokens: 8000, countTokens: estimateTokens, thresholds: { reuse: 0.6, extend: 0.4 } });
console.log(`buildContext (20 results, 8000-token budget): ${((performance.now() - started) / 100).toFixed(2)} ms`);
