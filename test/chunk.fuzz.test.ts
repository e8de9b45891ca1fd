import { fc, test as fcTest } from '@fast-check/vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect } from 'vitest';
import { createChunker, type Chunker } from '../src/chunk/chunker.js';
import { PROJECT_ROOT } from './helpers/cli.js';
import { expectConsistent } from './chunk.invariants.js';

/** `npm test` tries a bounded number of inputs per property; `npm run bench:fuzz` many more. */
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 60);

const FIXTURES = join(PROJECT_ROOT, 'test', 'fixtures', 'languages');
const SAMPLES = readdirSync(FIXTURES).map((name) => ({ name, text: readFileSync(join(FIXTURES, name), 'utf8') }));

/** Edits that break syntax the way half-typed code and odd files do: cut lines, stray brackets, quotes, Unicode, NUL. */
const edit = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.nat({ max: 40 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.constantFrom('{', '}', '(', ')', '[', ']', '"', "'", '`', '/*', '*/', '<!--', '#', '\\', '\n', '\r\n', '\t', '\0', '\u2028', '😀', 'ﬁ', '\uFEFF'),
      fc.string({ maxLength: 30, unit: 'grapheme' }),
      fc.string({ maxLength: 10, unit: 'binary' }),
    ),
  }),
);

function mutate(text: string, edits: Array<{ kind: 'delete'; at: number; length: number } | { kind: 'insert'; at: number; text: string }>): string {
  let out = text;
  for (const change of edits) {
    const at = out.length === 0 ? 0 : change.at % (out.length + 1);
    out = change.kind === 'delete' ? out.slice(0, at) + out.slice(at + change.length) : out.slice(0, at) + change.text + out.slice(at);
  }
  return out;
}

// The chunker runs on every file of every codebase, half-edited ones included: it must never throw, and its
// chunks must stay the exact lines of their ranges, ascending, without overlap, covering every non-blank line.
describe('chunker on random and mutated source', () => {
  let chunker: Chunker;
  let small: Chunker;
  beforeAll(async () => {
    chunker = await createChunker();
    small = await createChunker({ maxTokens: 24 });
  });

  fcTest.prop([fc.constantFrom(...SAMPLES), fc.array(edit, { minLength: 1, maxLength: 12 }), fc.boolean()], { numRuns: FUZZ_RUNS * SAMPLES.length })(
    'mutated samples of every language',
    async (sample, edits, tight) => {
      const text = mutate(sample.text, edits);
      const chunks = await (tight ? small : chunker).chunk(`src/${sample.name}`, text);
      expectConsistent(chunks, text);
    },
  );

  fcTest.prop([fc.constantFrom(...SAMPLES.map((sample) => sample.name)), fc.string({ maxLength: 2000, unit: 'binary' })], { numRuns: FUZZ_RUNS * 4 })(
    'random text under every language name',
    async (name, text) => {
      const chunks = await chunker.chunk(name, text);
      expectConsistent(chunks, text);
      expect(chunks.every((chunk) => chunk.startLine >= 1)).toBe(true);
    },
  );
});
