import { fc, test as fcTest } from '@fast-check/vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lineReader, PROTOCOL_VERSION } from '../src/daemon/protocol.js';
import { serveSocket, type SocketServer } from '../src/daemon/server.js';

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 200);

describe('lineReader', () => {
  it('decodes UTF-8 split across chunks', () => {
    const seen: unknown[] = [];
    const read = lineReader((m) => seen.push(m));
    const bytes = Buffer.from('{"q":"héllo ✓"}\n');
    for (let i = 0; i < bytes.length; i++) read(bytes.subarray(i, i + 1));
    expect(seen).toEqual([{ q: 'héllo ✓' }]);
  });

  it('reports a line over the limit once and reads nothing after it', () => {
    const seen: unknown[] = [];
    let overflows = 0;
    const read = lineReader((m) => seen.push(m), { maxLineBytes: 16, onOverflow: () => overflows++ });
    read('{"a":1}\n' + 'x'.repeat(40));
    read('more\n{"b":2}\n');
    expect(seen).toEqual([{ a: 1 }]);
    expect(overflows).toBe(1);
    expect(read.pendingBytes()).toBe(0);
  });

  fcTest.prop([fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.string({ maxLength: 64 }), fc.constant('\n'), fc.json()), { maxLength: 30 })], { numRuns: FUZZ_RUNS })(
    'never throws on random frames, and every complete line yields one message or nothing',
    (frames) => {
      let messages = 0;
      const read = lineReader(() => messages++, { maxLineBytes: 256, onOverflow: () => undefined });
      for (const frame of frames) read(typeof frame === 'string' ? frame : Buffer.from(frame));
      expect(messages).toBeGreaterThanOrEqual(0);
    },
  );
});

describe('daemon socket limits', () => {
  let dir: string;
  let server: SocketServer | undefined;
  const clients: Socket[] = [];
  afterEach(async () => {
    clients.forEach((c) => c.destroy());
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = (path: string) =>
    new Promise<Socket>((resolve) => {
      const socket = connect(path, () => resolve(socket));
      clients.push(socket);
    });
  const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));

  it('refuses an over-long request line and closes that connection, while other clients are answered', async () => {
    dir = mkdtempSync(join(tmpdir(), 'codectx-proto-'));
    const path = join(dir, 's.sock');
    server = await serveSocket(path, { ping: async () => 'pong' }, () => undefined, { maxRequestBytes: 1024, halfOpenTimeoutMs: 60_000 });
    const flood = await open(path);
    let reply = '';
    flood.on('data', (d) => (reply += d.toString()));
    const floodClosed = closed(flood);
    flood.write('x'.repeat(4096));
    await floodClosed;
    expect(JSON.parse(reply.trim())).toMatchObject({ error: { code: 'too-large' } });

    const other = await open(path);
    const answer = new Promise<string>((resolve) => other.once('data', (d) => resolve(d.toString())));
    other.write(`${JSON.stringify({ v: PROTOCOL_VERSION, id: 7, method: 'ping' })}\n`);
    expect(JSON.parse((await answer).trim())).toMatchObject({ id: 7, result: 'pong' });
  });

  it('drops a connection that stops in the middle of a request, not an idle one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'codectx-proto-'));
    const path = join(dir, 's.sock');
    server = await serveSocket(path, { ping: async () => 'pong' }, () => undefined, { maxRequestBytes: 1024, halfOpenTimeoutMs: 200 });
    const idle = await open(path);
    const half = await open(path);
    let idleClosed = false;
    idle.once('close', () => (idleClosed = true));
    const halfClosed = closed(half);
    half.write('{"v":1,"id":1,');
    await halfClosed;
    expect(idleClosed).toBe(false);
  });
});
