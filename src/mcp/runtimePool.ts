import { loadConfig, type CodectxConfig } from '../config/config.js';
import { configKey } from '../daemon/configKey.js';
import type { Codebase } from '../index/codebase.js';
import { Runtime } from '../index/runtime.js';

interface PooledRuntime {
  runtime: Runtime;
  users: number;
  retired: boolean;
}

/**
 * The long-lived process's runtimes: one per configuration, so codebases that share settings share one loaded
 * model. A runtime whose stores went stale (an index was dropped under it) is retired: new work gets a fresh
 * one, and the old one closes when its last user finishes.
 */
export class RuntimePool {
  private readonly live = new Map<string, PooledRuntime>();
  private readonly all = new Set<PooledRuntime>();

  /** Runs `work` with the runtime for this codebase's configuration. */
  async use<T>(codebase: Codebase, work: (runtime: Runtime, config: CodectxConfig) => Promise<T>): Promise<T> {
    const config = loadConfig(codebase.root);
    const key = configKey(config);
    let entry = this.live.get(key);
    if (!entry) {
      entry = { runtime: new Runtime(config), users: 0, retired: false };
      this.live.set(key, entry);
      this.all.add(entry);
    }
    entry.users++;
    try {
      return await work(entry.runtime, config);
    } finally {
      entry.users--;
      if (entry.retired && entry.users === 0) await this.closeEntry(entry);
    }
  }

  /** Stops handing out the runtime of this codebase's configuration; it closes now, or when its last user is done. */
  async retire(codebase: Codebase): Promise<void> {
    const key = configKey(loadConfig(codebase.root));
    const entry = this.live.get(key);
    if (!entry) return;
    entry.retired = true;
    this.live.delete(key);
    if (entry.users === 0) await this.closeEntry(entry);
  }

  async close(): Promise<void> {
    await Promise.all([...this.all].map((entry) => this.closeEntry(entry)));
    this.live.clear();
  }

  private async closeEntry(entry: PooledRuntime): Promise<void> {
    if (!this.all.delete(entry)) return;
    await entry.runtime.close();
  }
}
