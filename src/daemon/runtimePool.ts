import type { CodectxConfig } from '../config/config.js';
import { Runtime } from '../index/runtime.js';
import { configKey } from './configKey.js';

/**
 * One Runtime per distinct configuration, shared by every codebase with that configuration, so the embedding
 * model loads once however many codebases the daemon serves.
 */
export class RuntimePool {
  private readonly runtimes = new Map<string, Runtime>();

  get(config: CodectxConfig): Runtime {
    const key = configKey(config);
    let runtime = this.runtimes.get(key);
    if (!runtime) {
      runtime = new Runtime(config);
      this.runtimes.set(key, runtime);
    }
    return runtime;
  }

  get size(): number {
    return this.runtimes.size;
  }

  async closeAll(): Promise<void> {
    const runtimes = [...this.runtimes.values()];
    this.runtimes.clear();
    await Promise.allSettled(runtimes.map((runtime) => runtime.close()));
  }
}
