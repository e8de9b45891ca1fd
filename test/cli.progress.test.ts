import { describe, expect, it } from 'vitest';
import { progressOf } from './helpers/progress.js';
import { progressReporter } from '../src/cli/progress.js';

const progress = progressOf;

/** A terminal that records what was written; the clock moves 1 s per update so nothing is throttled. */
function terminal() {
  const writes: string[] = [];
  const stream = { isTTY: true, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream;
  let clock = 0;
  return { writes, stream, now: () => (clock += 1000) };
}

describe('progressReporter', () => {
  it('counts first, then draws a bar that never moves back, and clears its line when done', () => {
    const t = terminal();
    const reporter = progressReporter(false, t.stream, { NO_COLOR: '1' }, t.now);
    reporter.update(progress({ phase: 'count', filesToCount: 175, filesCounted: 40 }));
    reporter.update(progress({ filesTotal: 175, chunksTotal: 1000, chunksDone: 600, filesDone: 100 }));
    // A file edited since it was counted grew the total: the share drops, the bar must not.
    reporter.update(progress({ filesTotal: 175, chunksTotal: 1100, chunksDone: 610, filesDone: 101 }));
    reporter.finish();
    expect(t.writes[0]).toBe('\r\x1b[2Kcounting changes: 40/175 files read');
    expect(t.writes[1]).toMatch(/^\r\x1b\[2K\[#{14}-{10}\] 60% {2}files 100\/175 {2}chunks 600\/1000/);
    expect(t.writes[2]).toMatch(/^\r\x1b\[2K\[#{14}-{10}\] 60% {2}files 101\/175 {2}chunks 610\/1100/);
    expect(t.writes.at(-1)).toBe('\r\x1b[2K');
    expect(t.writes.join('')).not.toContain('\x1b[32m');
  });

  it('colours the bar on a terminal unless NO_COLOR is set', () => {
    const t = terminal();
    const reporter = progressReporter(false, t.stream, {}, t.now);
    reporter.update(progress({ filesTotal: 2, chunksTotal: 4, chunksDone: 2 }));
    expect(t.writes[0]).toContain('\x1b[32m############\x1b[0m');
  });

  // In logs and pipes every run showed "counting changes: 1/103 files read", the first file's report, and no other.
  it('off a terminal: the complete count, then a plain line every 5 s, never a stale first sample', () => {
    const writes: string[] = [];
    const stream = { isTTY: false, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream;
    let clock = 0;
    const reporter = progressReporter(false, stream, { NO_COLOR: '1' }, () => clock);
    for (let read = 1; read <= 103; read++) {
      clock += 10;
      reporter.update(progress({ phase: 'count', filesToCount: 103, filesCounted: read }));
    }
    expect(writes).toEqual(['counting changes: 103/103 files read\n']);
    for (let done = 1; done <= 100; done++) {
      clock += 200;
      reporter.update(progress({ filesTotal: 103, chunksTotal: 100, chunksDone: done, filesDone: done }));
    }
    // 20 s of embedding: a line at 5, 10, 15 and 20 s after the count's line.
    expect(writes).toHaveLength(5);
    expect(writes.slice(1).every((line) => /^\[[#-]+\] \d+%.*\n$/.test(line))).toBe(true);
    reporter.finish();
    expect(writes).toHaveLength(5);
  });

  it('draws nothing when silent, but remembers what the index held', () => {
    const t = terminal();
    const reporter = progressReporter(true, t.stream, {}, t.now);
    reporter.update(progress({ filesTotal: 2, chunksTotal: 4, chunksDone: 2, indexFiles: 7 }));
    reporter.finish();
    expect(t.writes).toEqual([]);
    expect(reporter.last()?.indexFiles).toBe(7);
  });
});
