import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EmbeddingProvider } from '../src/embed/types.js';
import { TaskClassifier } from '../src/route/classify.js';
import { categoryProbabilities, loadExampleModel, trainExampleModel } from '../src/route/exampleModel.js';
import { defaultPolicy, mergePolicy } from '../src/route/policy.js';
import { predictSoftmax, trainSoftmax } from '../src/route/softmax.js';

/** Points scattered around a centre by a fixed pattern (no randomness: the tests are repeatable). */
function cluster(centre: number[], count: number, spread: number): number[][] {
  return Array.from({ length: count }, (_, i) => centre.map((c, j) => c + spread * Math.sin(7 * i + 3 * j + 1)));
}

const argmax = (values: number[]) => values.indexOf(Math.max(...values));

describe('trainSoftmax', () => {
  // Three clusters in 3-d, class 3 of 4 never seen.
  const rows = [...cluster([1, 0, 0], 20, 0.3), ...cluster([0, 1, 0], 20, 0.3), ...cluster([0, 0, 1], 20, 0.3)];
  const labels = rows.map((_, i) => Math.floor(i / 20));

  it('separates clusters and gives an unseen class little probability', () => {
    const model = trainSoftmax(rows, labels, 4, { l2: 1e-4, iterations: 30 });
    expect(rows.map((row) => argmax(predictSoftmax(model, row)))).toEqual(labels);
    const atCentre = predictSoftmax(model, [0, 1, 0]);
    expect(argmax(atCentre)).toBe(1);
    expect(atCentre[1]).toBeGreaterThan(0.8);
    expect(atCentre[3]).toBeLessThan(0.05);
    expect(atCentre.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('gives the same weights, bit for bit, every time', () => {
    const a = trainSoftmax(rows, labels, 4, { l2: 1e-3, iterations: 12 });
    const b = trainSoftmax(rows, labels, 4, { l2: 1e-3, iterations: 12 });
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    expect(Array.from(a.biases)).toEqual(Array.from(b.biases));
    expect(a.weights.some((w) => w !== 0)).toBe(true);
  });

  it('starts from zero and learns with each step; a larger L2 keeps the weights smaller', () => {
    const loss = (iterations: number) => {
      const model = trainSoftmax(rows, labels, 4, { l2: 0, iterations });
      return -rows.reduce((total, row, i) => total + Math.log(predictSoftmax(model, row)[labels[i]!]!), 0) / rows.length;
    };
    expect(loss(0)).toBeCloseTo(Math.log(4), 12); // zero weights: every class 1/4
    expect(loss(5)).toBeLessThan(loss(0));
    expect(loss(20)).toBeLessThan(loss(5));
    const norm = (l2: number) => Math.hypot(...trainSoftmax(rows, labels, 4, { l2, iterations: 30 }).weights);
    expect(norm(1)).toBeLessThan(norm(1e-4) / 2);
  });

  it('learns a class from a single example without dividing by zero', () => {
    const model = trainSoftmax([[0.6, 0.8]], [2], 3, { l2: 0, iterations: 10 });
    const probabilities = predictSoftmax(model, [1, 0]);
    expect(probabilities.every(Number.isFinite)).toBe(true);
    expect(argmax(probabilities)).toBe(2);
  });

  it('rejects rows of different lengths and labels outside the classes', () => {
    expect(() => trainSoftmax([[1, 0], [1]], [0, 1], 2, { l2: 0, iterations: 1 })).toThrow(/1 features, not 2/);
    expect(() => trainSoftmax([[1, 0]], [2], 2, { l2: 0, iterations: 1 })).toThrow(/label 2/);
  });
});

describe("the examples' model", () => {
  beforeEach(() => {
    process.env.CODECTX_HOME = mkdtempSync(join(tmpdir(), 'codectx-route-model-'));
  });
  const categories = ['css_tweaks', 'api_design', 'feature_implementation'];
  const examples = [
    { category: 'css_tweaks', task: 'a' },
    { category: 'css_tweaks', task: 'b' },
    { category: 'api_design', task: 'c' },
    { category: 'api_design', task: 'd' },
  ];
  const vectors = [[1, 0.1], [0.95, -0.1], [0.1, 1], [-0.1, 0.95]].map((v) => Float32Array.from(v));

  it('is cached on disk: a second load reads the same model, a changed example set trains another', () => {
    const first = loadExampleModel('test:2d', categories, examples, vectors);
    const cache = join(process.env.CODECTX_HOME!, 'cache');
    const files = readdirSync(cache).filter((f) => f.startsWith('route-model-'));
    expect(files).toHaveLength(1);
    const again = loadExampleModel('test:2d', categories, examples, vectors);
    expect(Array.from(again.softmax.weights)).toEqual(Array.from(first.softmax.weights));
    expect(Array.from(again.softmax.biases)).toEqual(Array.from(first.softmax.biases));
    expect(Array.from(again.softmax.mean)).toEqual(Array.from(first.softmax.mean));
    expect(Array.from(first.softmax.weights)).toEqual(Array.from(trainExampleModel(categories, examples, vectors).softmax.weights));

    const relabelled = examples.map((e, i) => (i === 0 ? { ...e, category: 'api_design' } : e));
    loadExampleModel('test:2d', categories, relabelled, vectors);
    expect(readdirSync(cache).filter((f) => f.startsWith('route-model-'))).toHaveLength(2);
    expect(existsSync(join(cache, files[0]!))).toBe(true);
  });

  it('puts a task near the css examples in css_tweaks', () => {
    const model = trainExampleModel(categories, examples, vectors);
    const probabilities = categoryProbabilities(model, Float32Array.from([0.98, 0]));
    expect(probabilities.get('css_tweaks')).toBeGreaterThan(0.6);
    expect(probabilities.get('css_tweaks')).toBeGreaterThan(probabilities.get('api_design')! * 2);
  });

  it("decides a task no rule knows and says so in the reason (examples' model and nearest examples)", async () => {
    const policy = mergePolicy(defaultPolicy(), { replace: ['rules', 'examples'], rules: [], examples: examples.map((e, i) => ({ ...e, task: `example ${i}` })) });
    const byText = new Map(policy.examples.map((e, i) => [e.task, vectors[i]!]));
    const embedder: EmbeddingProvider = {
      id: 'test:2d',
      dimension: 2,
      maxTokens: 64,
      countTokens: (text) => text.length,
      embed: async (texts) => texts.map((text) => byText.get(text) ?? Float32Array.from([0, 1])),
      close: async () => {},
    };
    const result = await new TaskClassifier(policy, embedder).classify('rename the endpoint');
    expect(result.category).toBe('api_design');
    expect(result.reason).toMatch(/^nearest examples: 'example 2' \(1\.00\), 'example 3' \(0\.95\); examples' model: [01]\.\d\d$/);
  });
});
