/**
 * Calibrates the Reuse/Extend thresholds on the real local model: tasks that describe a fixture function, tasks
 * next to fixture code, and unrelated tasks, against the fixture's functions embedded exactly as the indexer
 * embeds chunks. Prints the measured similarities.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkKind } from '../src/chunk/types.js';
import { decideVerdict, type VerdictKind } from '../src/context/verdict.js';
import { createEmbeddingProvider } from '../src/embed/index.js';
import type { EmbeddingProvider } from '../src/embed/types.js';
import { embeddingText } from '../src/index/chunkRecords.js';
import { DEFAULT_CONTEXT } from '../src/config/sections.js';
import type { SearchResult } from '../src/search/types.js';

function lines(file: string): string[] {
  return readFileSync(new URL(`./fixtures/repo/${file}`, import.meta.url), 'utf8').split('\n');
}

function chunk(file: string, language: string, symbol: string, kind: ChunkKind, start: number, end: number, container = ''): SearchResult {
  return { file, language, symbol, kind, container, startLine: start, endLine: end, score: 0, content: lines(file).slice(start - 1, end).join('\n') };
}

const CHUNKS = [
  chunk('src/auth/password.ts', 'typescript', 'verifyPassword', 'function', 9, 13),
  chunk('src/auth/password.ts', 'typescript', 'hashPassword', 'function', 15, 19),
  chunk('src/auth/session.ts', 'typescript', 'createSession', 'function', 5, 9),
  chunk('src/auth/session.ts', 'typescript', 'lookupSession', 'function', 11, 18),
  chunk('src/ui/chart.js', 'javascript', 'renderChart', 'function', 1, 9),
  chunk('src/ui/chart.js', 'javascript', 'formatCurrency', 'function', 11, 13),
  chunk('scripts/report.py', 'python', 'load_rows', 'method', 10, 12, 'InvoiceReport'),
  chunk('scripts/report.py', 'python', 'total_by_customer', 'method', 14, 19, 'InvoiceReport'),
];

const TASKS: Array<[string, VerdictKind]> = [
  ['hash a new password with bcrypt before saving the user', 'reuse'],
  ['check that a login password matches the stored hash', 'reuse'],
  ['format an amount of money as a currency string', 'reuse'],
  ['draw a bar chart of monthly totals on a canvas', 'reuse'],
  ['sum the invoice amounts for each customer from the CSV', 'reuse'],
  ['look up a session by its token and expire old sessions', 'reuse'],
  ['add a rate limit on failed login attempts', 'extend'],
  ['export the invoice report as a PDF', 'extend'],
  ['add a pie chart next to the bar chart', 'extend'],
  ['let users change their password from the profile page', 'extend'],
  ['add a dark mode toggle to the settings page', 'create'],
  ['send a weekly email digest to subscribers', 'create'],
  ['resize uploaded images to thumbnails', 'create'],
  ['parse YAML configuration files with defaults', 'create'],
];

describe('verdict thresholds on the local model', () => {
  let embedder: EmbeddingProvider;
  let chunkVectors: Float32Array[];

  beforeAll(async () => {
    embedder = await createEmbeddingProvider({ provider: 'local' });
    chunkVectors = await embedder.embed(CHUNKS.map((c) => embeddingText(c)));
  });
  afterAll(() => embedder.close());

  it('gives Reuse for near-duplicates, Extend for neighbours and Create for unrelated tasks at the default thresholds', async () => {
    const taskVectors = await embedder.embed(TASKS.map(([task]) => task));
    const thresholds = { reuse: DEFAULT_CONTEXT.reuseThreshold, extend: DEFAULT_CONTEXT.extendThreshold };
    const report: string[] = [];
    const wrong: string[] = [];
    TASKS.forEach(([task, expected], i) => {
      const results = CHUNKS.map((c, j) => ({ ...c, dense: { score: cosine(taskVectors[i]!, chunkVectors[j]!), rank: 0 } }));
      const verdict = decideVerdict(results, thresholds, [task]);
      const best = results.sort((a, b) => b.dense.score - a.dense.score)[0]!;
      report.push(`${expected.padEnd(6)} ${best.dense.score.toFixed(3)} ${best.symbol.padEnd(18)} ${task}`);
      if (verdict.kind !== expected) wrong.push(`${task}: expected ${expected}, got ${verdict.kind} (${verdict.evidence})`);
    });
    console.log(`similarity of each task to its closest fixture chunk:\n${report.join('\n')}`);
    expect(wrong, wrong.join('\n')).toEqual([]);
  });
});

function cosine(a: Float32Array, b: Float32Array): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i]! * b[i]!;
  return total;
}
