/** Invariants every chunker output keeps, shared by the chunk tests. */
import { expect } from 'vitest';
import type { Chunk } from '../src/chunk/types.js';

/** The invariants: contents are the exact lines of their ranges, ranges ascend without overlap, every non-blank line is covered. */
export function expectConsistent(chunks: Chunk[], content: string): void {
  const lines = content.split(/\r?\n/);
  const covered = new Set<number>();
  let previousEnd = 0;
  for (const chunk of chunks) {
    expect(chunk.startLine).toBeGreaterThan(previousEnd);
    expect(chunk.endLine).toBeGreaterThanOrEqual(chunk.startLine);
    expect(chunk.content).toBe(lines.slice(chunk.startLine - 1, chunk.endLine).join('\n'));
    for (let line = chunk.startLine; line <= chunk.endLine; line++) covered.add(line);
    previousEnd = chunk.endLine;
  }
  const lost = lines.map((text, i) => (text.trim() !== '' && !covered.has(i + 1) ? i + 1 : 0)).filter(Boolean);
  expect(lost).toEqual([]);
}
