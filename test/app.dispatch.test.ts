import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { throughDaemon } from '../src/app/dispatch.js';
import { daemonSocketPath } from '../src/daemon/paths.js';
import { DaemonRequestError, serveSocket, type MethodHandler, type SocketServer } from '../src/daemon/server.js';
import { IndexStateError, NotIndexedError, UsageError } from '../src/errors.js';

/**
 * The one fallback policy of every front-end: work goes to the daemon, and comes back here only when the daemon
 * cannot serve it (none, gone, another protocol, another configuration, no such method). Errors of the work
 * itself are thrown, typed as the daemon threw them.
 */
describe('throughDaemon', () => {
  let server: SocketServer | undefined;
  const home = process.env.CODECTX_HOME;
  beforeEach(() => {
    process.env.CODECTX_HOME = mkdtempSync(join(tmpdir(), 'codectx-dispatch-'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    process.env.CODECTX_HOME = home;
  });
  const serve = async (search: MethodHandler) => {
    server = await serveSocket(daemonSocketPath(), { search }, () => undefined);
  };
  const ask = () => throughDaemon((daemon) => daemon.search('/repo', 'q', { limit: 1, configKey: 'k' }));

  it('no daemon: undefined at once, the caller works itself', async () => {
    expect(await ask()).toBeUndefined();
  });

  it('the daemon answers: its result', async () => {
    await serve(async () => [{ file: 'a.ts' }]);
    expect(await ask()).toEqual([{ file: 'a.ts' }]);
  });

  it.each(['config-mismatch', 'version', 'unknown-method'])('the daemon cannot serve it (%s): undefined', async (code) => {
    await serve(async () => {
      throw new DaemonRequestError('cannot', code);
    });
    expect(await ask()).toBeUndefined();
  });

  it('an error of the work itself is thrown with its type', async () => {
    await serve(async () => {
      throw new IndexStateError('/repo is not indexed yet');
    });
    await expect(ask()).rejects.toBeInstanceOf(IndexStateError);
    await server!.close();
    await serve(async () => {
      throw new UsageError('bad query');
    });
    await expect(ask()).rejects.toMatchObject({ name: 'UsageError', exitCode: 2 });
    // MCP words "not indexed" its own way, from this type, whichever process searched.
    await server!.close();
    await serve(async () => {
      throw new NotIndexedError('/repo is not indexed yet');
    });
    await expect(ask()).rejects.toBeInstanceOf(NotIndexedError);
  });

  it('the daemon goes away mid-call: undefined', async () => {
    await serve(async () => {
      setImmediate(() => void server!.close());
      return new Promise(() => undefined);
    });
    expect(await ask()).toBeUndefined();
  });
});
