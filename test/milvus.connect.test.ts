import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureWorkspace, runCli } from './helpers/cli.js';

/**
 * `--store milvus` pointed at something that is not a reachable Milvus fails with one line naming the address and
 * the reason, non-zero exit and no stack, within the connect timeout. Needs `npm run build` (the CLI runs from dist/).
 */

const listening = (server: Server | Http2Server) =>
  new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)));

describe('unreachable Milvus address', () => {
  // Accepts connections and never says a word, as an address that cannot be routed never answers.
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  // Answers HTTP/2 with 404, as a proxy in front of an unroutable address may.
  const notMilvus = createHttp2Server((_request, response) => {
    response.statusCode = 404;
    response.end();
  });
  let silentAddress: string;
  let notMilvusAddress: string;
  let refusedAddress: string;

  beforeAll(async () => {
    silentAddress = await listening(silent);
    notMilvusAddress = await listening(notMilvus);
    const closed = createServer();
    refusedAddress = await listening(closed);
    await new Promise((resolve) => closed.close(resolve));
  });

  afterAll(async () => {
    sockets.forEach((socket) => socket.destroy());
    await new Promise((resolve) => silent.close(resolve));
    await new Promise((resolve) => notMilvus.close(resolve));
  });

  async function indexWithMilvusAt(address: string) {
    const { repo, home } = await fixtureWorkspace();
    const result = await runCli(['index', repo, '--store', 'milvus', '--milvus-address', address], { home });
    const lines = result.stderr.trim().split('\n');
    expect(result.code, result.stderr).not.toBe(0);
    expect(lines, result.stderr).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at |TypeError|Cannot read properties/);
    return lines[0]!;
  }

  it('says which address cannot be reached and why, in one line', async () => {
    const [silentLine, notMilvusLine, refusedLine, unknownHostLine, unroutableLine] = await Promise.all([
      indexWithMilvusAt(silentAddress),
      indexWithMilvusAt(notMilvusAddress),
      indexWithMilvusAt(refusedAddress),
      indexWithMilvusAt('codectx-no-such-host.invalid:19530'),
      // The reproduction: depending on the network this one times out or meets a proxy.
      indexWithMilvusAt('10.255.255.1:19530'),
    ]);
    expect(silentLine).toContain(`cannot reach Milvus at ${silentAddress}: no answer within 10 s`);
    expect(notMilvusLine).toContain(`cannot reach Milvus at ${notMilvusAddress}: it answered, but not as a Milvus server`);
    expect(refusedLine).toContain(`cannot reach Milvus at ${refusedAddress}: connection refused`);
    expect(unknownHostLine).toContain('cannot reach Milvus at codectx-no-such-host.invalid:19530: host name not found');
    expect(unroutableLine).toContain('cannot reach Milvus at 10.255.255.1:19530: ');
  }, 60_000);
});
