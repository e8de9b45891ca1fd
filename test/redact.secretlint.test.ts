import { secretLintProfiler } from '@secretlint/profiler';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../src/redact/redact.js';

describe('secretlint as the base of redaction', () => {
  it('leaves no profiler marks behind: a long-lived server scans every answer', async () => {
    const marksBefore = performance.getEntriesByType('mark').length;
    for (let i = 0; i < 50; i++) {
      await redactSecrets(`const answer${i} = compute(${i});`);
      await nextTurn(); // the profiler's observer runs between turns of the event loop
    }
    expect(secretLintProfiler.entries).toHaveLength(0);
    expect(performance.getEntriesByType('mark').length).toBe(marksBefore);
  });
});
