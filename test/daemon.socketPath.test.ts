import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectDaemon } from '../src/daemon/client.js';
import { assertTrustedSocket, daemonSocketPath, preparePrivateSocketDir, UntrustedSocketError } from '../src/daemon/paths.js';

// A home too long for a socket path sends the socket to the fallback folder, which must be private (issue 13).
const longHome = `/nonexistent/${'h'.repeat(120)}`;
const isRoot = process.getuid?.() === 0;

describe('daemon socket outside a long home', () => {
  let tmp: string;
  const saved = { TMPDIR: process.env.TMPDIR, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR };

  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'codectx-sock-'));
    process.env.TMPDIR = tmp;
    delete process.env.XDG_RUNTIME_DIR;
  });
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) value === undefined ? delete process.env[key] : (process.env[key] = value);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('lives in a per-user folder, never directly in the temp folder', () => {
    const path = daemonSocketPath(longHome);
    expect(path.startsWith(join(tmp, `codectx-${process.getuid!()}`) + '/')).toBe(true);
    process.env.XDG_RUNTIME_DIR = join(tmp, 'run');
    expect(daemonSocketPath(longHome).startsWith(join(tmp, 'run', 'codectx') + '/')).toBe(true);
  });

  it('creates that folder 0700 and accepts it', () => {
    const path = daemonSocketPath(longHome);
    preparePrivateSocketDir(path, longHome);
    expect(() => preparePrivateSocketDir(path, longHome)).not.toThrow();
  });

  it('refuses a folder others can enter, a symlinked folder, or one owned by someone else', () => {
    const path = daemonSocketPath(longHome);
    const dir = join(tmp, `codectx-${process.getuid!()}`);
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    expect(() => preparePrivateSocketDir(path, longHome)).toThrow(/mode 777/);
    rmSync(dir, { recursive: true });
    mkdirSync(join(tmp, 'elsewhere'), { mode: 0o700 });
    symlinkSync(join(tmp, 'elsewhere'), dir);
    expect(() => preparePrivateSocketDir(path, longHome)).toThrow(UntrustedSocketError);
    rmSync(dir);
    if (isRoot) {
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, 65534, 65534);
      expect(() => preparePrivateSocketDir(path, longHome)).toThrow(/belongs to uid 65534/);
    }
  });

  describe('a socket another user listens on', () => {
    let server: Server | undefined;
    afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

    it.skipIf(!isRoot)('is never connected to: the client works without the daemon', async () => {
      const path = daemonSocketPath(longHome);
      preparePrivateSocketDir(path, longHome);
      let connections = 0;
      server = createServer(() => connections++);
      await new Promise<void>((resolve) => server!.listen(path, resolve));
      expect(() => assertTrustedSocket(path, longHome)).not.toThrow();
      chownSync(path, 65534, 65534);
      expect(() => assertTrustedSocket(path, longHome)).toThrow(/uid 65534/);
      const stderr = process.stderr.write;
      process.stderr.write = (() => true) as typeof process.stderr.write;
      try {
        expect(await connectDaemon(path)).toBeUndefined();
      } finally {
        process.stderr.write = stderr;
      }
      expect(connections).toBe(0);
    });
  });
});
