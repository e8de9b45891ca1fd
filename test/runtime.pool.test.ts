import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { RuntimePool } from '../src/runtime/runtimePool.js';
import type { Runtime } from '../src/runtime/runtime.js';

// Runtimes load their model lazily: these tests never load one.
const later = () => new Promise((resolve) => setTimeout(resolve, 5));
const config = (maxFileBytes: number) => ({ ...loadConfig(process.cwd(), {}, {}), maxFileBytes });

describe('RuntimePool', () => {
  it('shares one runtime per configuration, and keeps different configurations apart', async () => {
    const pool = new RuntimePool();
    const seen: Runtime[] = [];
    await pool.use(config(1000), async (runtime) => void seen.push(runtime));
    await pool.use(config(1000), async (runtime) => void seen.push(runtime));
    await pool.use(config(2000), async (runtime) => void seen.push(runtime));
    expect(seen[0]).toBe(seen[1]);
    expect(seen[2]).not.toBe(seen[0]);
    expect(pool.size).toBe(2);
    await pool.closeAll();
    expect(pool.size).toBe(0);
  });

  it('releases only runtimes idle for long enough, never one in use', async () => {
    const pool = new RuntimePool();
    await pool.use(config(1000), async () => undefined);
    let release!: () => void;
    const busy = pool.use(config(2000), () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await pool.releaseIdle(60_000)).toBe(0);
    await later();
    expect(await pool.releaseIdle(0)).toBe(1);
    expect(pool.size).toBe(1);
    release();
    await busy;
    await later();
    expect(await pool.releaseIdle(0)).toBe(1);
    expect(pool.size).toBe(0);
  });

  it('gives a fresh runtime after a release', async () => {
    const pool = new RuntimePool();
    let first: Runtime | undefined;
    await pool.use(config(1000), async (runtime) => void (first = runtime));
    await later();
    expect(await pool.releaseIdle(0)).toBe(1);
    await pool.use(config(1000), async (runtime) => expect(runtime).not.toBe(first));
    await pool.closeAll();
  });
});
