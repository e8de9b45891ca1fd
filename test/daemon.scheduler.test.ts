import { describe, expect, it } from 'vitest';
import { RunScheduler, type RunPriority } from '../src/daemon/scheduler.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A run that records its steps and yields between them, as the indexer does between embedding calls. */
function job(scheduler: RunScheduler, log: string[], owner: string, priority: RunPriority, steps: number) {
  return scheduler.run({ owner, priority }, async (yieldTurn) => {
    for (let step = 0; step < steps; step++) {
      await yieldTurn();
      log.push(`${owner}${step}`);
      await tick();
    }
  });
}

describe('RunScheduler', () => {
  // A save in one codebase waited a minute behind another's bulk index (issue 14).
  it('lets a change run between the steps of a bulk run, which then resumes', async () => {
    const scheduler = new RunScheduler();
    const log: string[] = [];
    const bulk = job(scheduler, log, 'A', 'bulk', 6);
    await tick();
    await tick();
    expect(scheduler.waitReason('B')).toBeUndefined();
    const change = job(scheduler, log, 'B', 'change', 2);
    expect(scheduler.waitReason('B')).toBe('waiting for A (bulk)');
    await Promise.all([bulk, change]);
    const firstB = log.indexOf('B0');
    expect(firstB).toBeGreaterThan(0);
    expect(log.indexOf('A5')).toBeGreaterThan(log.indexOf('B1'));
    // B's two steps run back to back: a change does not yield to bulk work.
    expect(log[firstB + 1]).toBe('B1');
  });

  it('orders waiting runs by priority, then arrival; a paused run goes first among its class', async () => {
    const scheduler = new RunScheduler();
    const log: string[] = [];
    const first = job(scheduler, log, 'A', 'bulk', 3);
    await tick();
    const later = [job(scheduler, log, 'C', 'bulk', 1), job(scheduler, log, 'B', 'change', 1), job(scheduler, log, 'D', 'change', 1)];
    expect(scheduler.view().waiting.map((w) => w.owner)).toEqual(['B', 'D', 'C']);
    await Promise.all([first, ...later]);
    // A yields to B and D, resumes ahead of C (which arrived while A ran).
    expect(log.filter((entry) => entry !== 'A0')).toEqual(['B0', 'D0', 'A1', 'A2', 'C0']);
  });

  it('a change run never yields to another change, and a failed run frees the model for the next', async () => {
    const scheduler = new RunScheduler();
    const log: string[] = [];
    const failing = scheduler.run({ owner: 'X', priority: 'change' }, async () => {
      await tick();
      throw new Error('boom');
    });
    const next = job(scheduler, log, 'Y', 'change', 2);
    await expect(failing).rejects.toThrow('boom');
    await next;
    expect(log).toEqual(['Y0', 'Y1']);
    expect(scheduler.view()).toEqual({ running: undefined, waiting: [] });
  });
});
