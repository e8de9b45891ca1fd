/**
 * What the labelled examples vote with: a softmax model over their MiniLM vectors, trained from whatever examples
 * the policy has (a project's own examples included) when a classifier first needs it, and cached on disk next to
 * the vectors. Nothing is shipped or downloaded; the same examples give the same model.
 */
import type { LabelledExample } from './policy.js';
import { cacheFile, readCached, writeCached } from './exampleVectors.js';
import { predictSoftmax, trainSoftmax, type SoftmaxModel } from './softmax.js';

/*
 * Chosen by 5-fold cross-validation on the train split of bench/routing/tasks.jsonl (bench/routing/RESULTS.md),
 * with the rest of the combination in classify.ts unchanged. The optimum is flat: L2 from 0 to 3e-4 and 10 to 40
 * steps all land at 329-333/353 (the 5-nearest vote: 329); L2 1e-2 or more flattens the probabilities so far that
 * the examples' share goes to the most common category (322/353 combined; the model alone then gets 92/353).
 */
/** Weight penalty: 332-333/353 from 10 to 20 steps (0 to 1e-4 alike at 10 steps; 3e-4: 331). */
const L2 = 1e-4;
/**
 * Gradient steps: the fewest at the optimum (5: 327, 10: 332, 15-20: 333, 30-40: 331), because each costs ~6 ms
 * (416 × 384 × 11) and start-up should stay under 100 ms: 10 steps train in 57-115 ms, 15 in 80-135 ms.
 * Chosen with 416 examples; with the 631 of round 7 the 10 steps take ~90-130 ms warm, ~120-200 ms as a process's
 * first call (bench/routing/RESULTS.md). The steps were not re-chosen in that round.
 */
const ITERATIONS = 10;
/** Part of the cache key: change it when trainSoftmax changes what it computes. */
const TRAINER = 'softmax-nesterov-centred-1';

export interface ExampleModel {
  categories: string[];
  softmax: SoftmaxModel;
}

export function trainExampleModel(categories: string[], examples: LabelledExample[], vectors: Float32Array[]): ExampleModel {
  const labels = examples.map((example) => categories.indexOf(example.category));
  return { categories, softmax: trainSoftmax(vectors, labels, categories.length, { l2: L2, iterations: ITERATIONS }) };
}

/**
 * The model for these examples, read from the cache when an earlier run trained it (a CLI or hook run is a fresh
 * process, and training takes ~0.1 s), else trained and cached.
 */
export function loadExampleModel(embedderId: string, categories: string[], examples: LabelledExample[], vectors: Float32Array[]): ExampleModel {
  const d = vectors[0]?.length ?? 0;
  const k = categories.length;
  const content = [TRAINER, L2, ITERATIONS, embedderId, categories.join(','), ...examples.map((e) => `${e.category}\t${e.task}`)];
  const file = cacheFile('route-model', content.join('\n'), 'f64');
  const bytes = readCached(file, (d + k * d + k) * 8);
  if (bytes) {
    const all = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const softmax = { classes: k, dimension: d, mean: all.slice(0, d), weights: all.slice(d, d + k * d), biases: all.slice(d + k * d) };
    return { categories, softmax };
  }
  const model = trainExampleModel(categories, examples, vectors);
  const { mean, weights, biases } = model.softmax;
  const all = new Float64Array(d + k * d + k);
  all.set(mean, 0);
  all.set(weights, d);
  all.set(biases, d + k * d);
  writeCached(file, all);
  return model;
}

/** Probability per category for a task's vector. */
export function categoryProbabilities(model: ExampleModel, vector: Float32Array): Map<string, number> {
  const probabilities = predictSoftmax(model.softmax, vector);
  return new Map(model.categories.map((category, i) => [category, probabilities[i]!]));
}
