import type { CodectxConfig } from '../config/config.js';
import { Runtime } from './runtime.js';
import { configKey } from '../config/configKey.js';

interface PooledRuntime {
  runtime: Runtime;
  inFlight: number;
  lastUsed: number;
}

/**
 * One Runtime per distinct configuration, shared by every codebase with that configuration, so the embedding
 * model loads once however many codebases the daemon serves. A runtime nobody has used for a while can be
 * released: an idle daemon should not hold a model's memory all day.
 */
export class RuntimePool {
  private readonly runtimes = new Map<string, PooledRuntime>();

  constructor(private readonly createRuntime: (config: CodectxConfig) => Runtime = (config) => new Runtime(config)) {}

  /** Runs `work` with the runtime for `config`; it is never released while work is under way. */
  async use<T>(config: CodectxConfig, work: (runtime: Runtime) => Promise<T>): Promise<T> {
    const key = configKey(config);
    let entry = this.runtimes.get(key);
    if (!entry) {
      entry = { runtime: this.createRuntime(config), inFlight: 0, lastUsed: Date.now() };
      this.runtimes.set(key, entry);
    }
    entry.inFlight++;
    try {
      return await work(entry.runtime);
    } finally {
      entry.inFlight--;
      entry.lastUsed = Date.now();
    }
  }

  /** Loaded runtimes (each holds a model and open stores). */
  get size(): number {
    return this.runtimes.size;
  }

  /** Closes runtimes unused for `idleMs`; the next use loads a fresh one. Returns how many were released. */
  async releaseIdle(idleMs: number): Promise<number> {
    const cutoff = Date.now() - idleMs;
    const idle = [...this.runtimes].filter(([, entry]) => entry.inFlight === 0 && entry.lastUsed < cutoff);
    for (const [key] of idle) this.runtimes.delete(key);
    await Promise.allSettled(idle.map(([, entry]) => entry.runtime.close()));
    return idle.length;
  }

  async closeAll(): Promise<void> {
    const entries = [...this.runtimes.values()];
    this.runtimes.clear();
    await Promise.allSettled(entries.map((entry) => entry.runtime.close()));
  }
}
