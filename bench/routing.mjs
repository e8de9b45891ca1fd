// Routing and pre-search figures: accuracy on the labelled task set (bench/routing/tasks.jsonl, test split, rules
// only and rules + the examples' model) with a confusion matrix, start-up and classifier speed, redaction, context
// building. Run after `npx tsc -p tsconfig.json` (npm run bench:routing does both).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

process.env.CODECTX_HOME = mkdtempSync(join(tmpdir(), 'codectx-bench-routing-'));
const dist = new URL('../dist/', import.meta.url);
const { TaskClassifier } = await import(new URL('route/classify.js', dist));
const { defaultPolicy } = await import(new URL('route/policy.js', dist));
const { redactSecrets } = await import(new URL('redact/redact.js', dist));
const { buildContext } = await import(new URL('context/build.js', dist));
const { estimatePromptTokens } = await import(new URL('llm/tokens.js', dist));

const tasks = readFileSync(new URL('./routing/tasks.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line));
const policy = defaultPolicy();
const split = (name) => tasks.filter((t) => t.split === name);
const test = split('test');

/** Predictions for a task list, and the time per task. */
async function predict(classifier, list) {
  const started = performance.now();
  const predicted = [];
  for (const t of list) predicted.push((await classifier.classify(t.task)).category);
  return { predicted, ms: (performance.now() - started) / list.length };
}

function accuracy(list, predicted) {
  const right = list.filter((t, i) => predicted[i] === t.category).length;
  return `${right}/${list.length} = ${((100 * right) / list.length).toFixed(1)}%`;
}

/**
 * 5-fold cross-validation on train: each fold is classified with the shipped examples minus that fold's tasks, so
 * a train task never finds itself among the examples (folds by SHA-1 of the text).
 */
async function crossValidate(embedder) {
  const train = split('train');
  const fold = (task) => parseInt(createHash('sha1').update(task).digest('hex').slice(0, 8), 16) % 5;
  const predicted = new Map();
  for (let f = 0; f < 5; f++) {
    const held = new Set(train.filter((t) => fold(t.task) === f).map((t) => t.task));
    const classifier = new TaskClassifier({ ...policy, examples: policy.examples.filter((e) => !held.has(e.task)) }, embedder);
    for (const task of held) predicted.set(task, (await classifier.classify(task)).category);
  }
  return { list: train, predicted: train.map((t) => predicted.get(t.task)) };
}

/** Per-category accuracy (recall) and the confusion matrix: rows are labels, columns predictions. */
function report(title, list, predicted) {
  const cats = policy.categories;
  const short = (c) => c.slice(0, 8);
  const counts = new Map(cats.map((c) => [c, new Map(cats.map((d) => [d, 0]))]));
  list.forEach((t, i) => counts.get(t.category).set(predicted[i], counts.get(t.category).get(predicted[i]) + 1));
  console.log(`\n${title}: accuracy ${accuracy(list, predicted)}`);
  const width = Math.max(...cats.map((c) => c.length));
  console.log(`${'label \\ predicted'.padEnd(width)}  ${cats.map((c) => short(c).padStart(9)).join('')}   per-category`);
  for (const c of cats) {
    const row = counts.get(c);
    const total = [...row.values()].reduce((a, b) => a + b, 0);
    const cells = cats.map((d) => String(row.get(d) || '.').padStart(9)).join('');
    const pct = total ? `${row.get(c)}/${total} = ${((100 * row.get(c)) / total).toFixed(0)}%` : '-';
    console.log(`${c.padEnd(width)}  ${cells}   ${pct}`);
  }
}

const rules = new TaskClassifier(policy);
await predict(rules, tasks); // warm up the regex engine
const reps = 20;
let started = performance.now();
for (let i = 0; i < reps; i++) for (const t of tasks) await rules.classify(t.task);
const rulesUs = ((performance.now() - started) * 1000) / (reps * tasks.length);
console.log(`labelled tasks: ${tasks.length} (train ${split('train').length}, test ${test.length}); see bench/routing/DEFINITIONS.md`);
console.log(`classify, rules only:        ${rulesUs.toFixed(0)} µs/task`);
const rulesTrain = await predict(rules, split('train'));
console.log(`train split, rules only:     ${accuracy(split('train'), rulesTrain.predicted)}`);
report('test split, rules only', test, (await predict(rules, test)).predicted);

if (existsSync(new URL('embed/index.js', dist))) {
  const { createEmbeddingProvider } = await import(new URL('embed/index.js', dist));
  started = performance.now();
  const embedder = await createEmbeddingProvider({ provider: 'local' });
  console.log(`\nlocal model load:            ${(performance.now() - started).toFixed(0)} ms`);
  started = performance.now();
  await embedder.embed(['warm up the inference session']);
  console.log(`first inference (warm-up):   ${(performance.now() - started).toFixed(0)} ms`);
  // A classifier's first classify embeds the examples and trains their model, each once: both are then cached on
  // disk (CODECTX_HOME/cache), so later runs read them. Timed one by one here.
  const { trainExampleModel } = await import(new URL('route/exampleModel.js', dist));
  const { embedExamples } = await import(new URL('route/exampleVectors.js', dist));
  started = performance.now();
  const vectors = await embedExamples(embedder, policy.examples.map((e) => e.task));
  console.log(`embed the ${policy.examples.length} examples (first run only): ${(performance.now() - started).toFixed(0)} ms`);
  const trainMs = [];
  for (let i = 0; i < 4; i++) {
    started = performance.now();
    trainExampleModel(policy.categories, policy.examples, vectors);
    trainMs.push(performance.now() - started);
  }
  const warmMs = trainMs.slice(1).sort((a, b) => a - b)[1];
  console.log(`train the examples' model (first run only): ${trainMs[0].toFixed(0)} ms in a fresh process, ${warmMs.toFixed(0)} ms JIT-warm (median of 3)`);
  const cold = new TaskClassifier(policy, embedder);
  started = performance.now();
  await cold.classify(tasks[0].task);
  console.log(`first classify, examples embedded, model trained: ${(performance.now() - started).toFixed(0)} ms`);
  const warm = new TaskClassifier(policy, embedder);
  started = performance.now();
  await warm.classify(tasks[1].task);
  console.log(`first classify, both cached: ${(performance.now() - started).toFixed(0)} ms`);
  const trainModel = await predict(warm, split('train'));
  console.log(`train split, rules + examples: ${accuracy(split('train'), trainModel.predicted)} (each task is its own example)`);
  const cv = await crossValidate(embedder);
  report('train split, 5-fold CV (what to choose rules and constants by)', cv.list, cv.predicted);
  const withModel = await predict(warm, test);
  console.log(`classify, rules + examples:  ${withModel.ms.toFixed(1)} ms/task`);
  report("test split, rules + examples' model (what codectx runs when the local model is there)", test, withModel.predicted);
  await embedder.close();
} else {
  console.log('local model: dist/embed/index.js not built, skipped');
}
console.log('');

const line = 'export function handler(req, res) { const total = items.reduce((a, b) => a + b.price, 0); return res.json({ total }); }\n';
const source = line.repeat(Math.ceil(1_000_000 / line.length)) + 'const password = "hunter2-prod";\n';
started = performance.now();
const redacted = await redactSecrets(source);
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
for (let i = 0; i < 100; i++) buildContext('task', results, { budgetTokens: 8000, countTokens: estimatePromptTokens, thresholds: { reuse: 0.6, extend: 0.4 } });
console.log(`buildContext (20 results, 8000-token budget): ${((performance.now() - started) / 100).toFixed(2)} ms`);
