import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CodectxService, DaemonSettingsDiffer } from '../src/app/service.js';
import { connectDaemon, DaemonCallError } from '../src/daemon/client.js';
import { Daemon } from '../src/daemon/daemon.js';
import type { Logger } from '../src/daemon/logger.js';
import { listCodebases } from '../src/daemon/registry.js';
import { resolveCodebase, type Codebase } from '../src/index/codebase.js';

/**
 * `CODECTX_STORE=milvus codectx add <path>` registered the path with a daemon running on LanceDB, which then
 * indexed and watched it with its own settings, and said nothing. A daemon whose settings for a codebase differ
 * from the caller's now refuses to watch it for that caller.
 */
describe('watching a codebase with the settings the daemon runs with', () => {
  let root: string;
  let codebase: Codebase;
  let daemon: Daemon | undefined;
  let running: Promise<void> | undefined;
  const log: Logger = { info: () => undefined, error: () => undefined };
  const savedHome = process.env.CODECTX_HOME;
  // Never contacted: the daemon refuses before any store is opened.
  const otherStore = () => new CodectxService({ store: 'milvus', milvusAddress: '127.0.0.1:1' });

  beforeEach(async () => {
    process.env.CODECTX_HOME = await mkdtemp(join(tmpdir(), 'codectx-settings-home-'));
    root = await realpath(await mkdtemp(join(tmpdir(), 'codectx-settings-')));
    await writeFile(join(root, 'a.ts'), 'export function alpha() {\n  return 1;\n}\n');
    codebase = await resolveCodebase(root);
    daemon = new Daemon({ version: 'test', log });
    running = daemon.run();
    // Up once it answers.
    for (let client = await connectDaemon(); ; client = await connectDaemon()) {
      if (client) {
        client.close();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  afterEach(async () => {
    await daemon?.stop('test over');
    await running;
    await rm(process.env.CODECTX_HOME!, { recursive: true, force: true });
    if (savedHome === undefined) delete process.env.CODECTX_HOME;
    else process.env.CODECTX_HOME = savedHome;
    await rm(root, { recursive: true, force: true });
  });

  it('refuses in one line (exit 2) and registers nothing; with no daemon running, it registers for the next start', async () => {
    const service = otherStore();
    const refusal = await service.watch(codebase).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DaemonSettingsDiffer);
    expect(refusal).toMatchObject({ exitCode: 2 });
    expect((refusal as Error).message).toMatch(new RegExp(`^the running daemon would index ${root} with other settings than this command's .*\`codectx daemon stop\``));
    expect((refusal as Error).message).not.toContain('\n');
    expect(await listCodebases()).toEqual([]);
    expect(daemon!.status().codebases).toEqual([]);

    // The socket call itself: a caller that sends another configuration is told so.
    const client = (await connectDaemon())!;
    try {
      await expect(client.add(root, 'another configuration')).rejects.toBeInstanceOf(DaemonCallError);
      await expect(client.add(root, 'another configuration')).rejects.toMatchObject({ code: 'config-mismatch' });
    } finally {
      client.close();
    }

    await daemon!.stop('test over');
    await running;
    daemon = undefined;
    expect(await service.watch(codebase)).toEqual({ added: true, daemonRuns: false });
    expect((await listCodebases()).map((entry) => entry.root)).toEqual([root]);
  });
});
