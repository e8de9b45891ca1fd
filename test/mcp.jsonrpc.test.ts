/**
 * Malformed JSON-RPC on the MCP server's stdin: every line gets an answer (the SDK's transport dropped lines that
 * were not JSON-RPC without a reply), invalid params get -32602 in one line, and blank tasks and queries are
 * refused as the CLI refuses them.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorReply, leadingRequestId, requestSchemas, screenJsonRpc } from '../src/mcp/jsonRpcScreen.js';
import { PROJECT_ROOT } from './helpers/cli.js';

const schemas = requestSchemas(['initialize', 'ping', 'tools/list', 'tools/call']);

describe('the JSON-RPC screen', () => {
  it('answers a line that is not JSON with -32700 and id null', () => {
    expect(errorReply('garbage', schemas)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: `Parse error: Unexpected token 'g', "garbage" is not valid JSON` },
    });
    expect(errorReply('{"jsonrpc":"2.0",', schemas)?.error.code).toBe(-32700);
  });

  it('answers JSON that is not a JSON-RPC message with -32600, with the id only of what is a request', () => {
    const invalid = (line: string) => {
      const reply = errorReply(line, schemas);
      return [reply?.id, reply?.error.code, reply?.error.message];
    };
    expect(invalid('{}')).toEqual([null, -32600, 'Invalid Request: "jsonrpc" must be "2.0"']);
    expect(invalid('[]')).toEqual([null, -32600, 'Invalid Request: a batch (send one message a line)']);
    expect(invalid('[{"jsonrpc":"2.0","id":1,"method":"ping"}]')).toEqual([null, -32600, 'Invalid Request: a batch (send one message a line)']);
    expect(invalid('42')).toEqual([null, -32600, 'Invalid Request: not a JSON-RPC message object']);
    // No method: the id may be one of the client's own requests, so it is not answered to.
    expect(invalid('{"jsonrpc":"2.0","id":7}')).toEqual([null, -32600, 'Invalid Request: no "method"']);
    expect(invalid('{"jsonrpc":"1.0","id":"a","method":"ping"}')).toEqual(['a', -32600, 'Invalid Request: "jsonrpc" must be "2.0"']);
  });

  it('answers a served request with params that do not fit with -32602 in one line', () => {
    expect(errorReply('{"jsonrpc":"2.0","id":8,"method":"tools/call"}', schemas)).toEqual({
      jsonrpc: '2.0',
      id: 8,
      error: { code: -32602, message: 'Invalid params for tools/call: params: expected object, received undefined' },
    });
    expect(errorReply('{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{}}', schemas)?.error).toEqual({
      code: -32602,
      message: 'Invalid params for tools/call: params.name: expected string, received undefined',
    });
  });

  it('lets through what the SDK answers itself: good messages, unknown methods, responses, notifications', () => {
    for (const line of [
      '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search_code","arguments":{}}}',
      '{"jsonrpc":"2.0","id":3,"method":"no/such/method","params":{"x":1}}',
      '{"jsonrpc":"2.0","id":4,"result":{}}',
      '{"jsonrpc":"2.0","method":"notifications/initialized"}',
    ]) {
      expect(errorReply(line, schemas), line).toBeUndefined();
    }
  });

  it('passes good lines on whole across chunk boundaries, answers bad ones, and skips blank ones', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const screened = screenJsonRpc(input, output, ['ping']);
    const ping = '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"note":"é"}}}\n';
    const bytes = Buffer.from(`garbage\n\r\n${ping}`);
    // Split inside the two-byte "é", so a line is only read once it is whole.
    const cut = bytes.indexOf(Buffer.from('é')) + 1;
    input.write(bytes.subarray(0, cut));
    input.end(bytes.subarray(cut));
    const passed: Buffer[] = [];
    for await (const chunk of screened) passed.push(chunk as Buffer);
    expect(Buffer.concat(passed).toString('utf8')).toBe(ping);
    expect(JSON.parse(output.read().toString('utf8'))).toMatchObject({ id: null, error: { code: -32700 } });
  });

  // A line over the SDK's 10 MB closed its transport: no answer to it or to anything after, and the server exited.
  it('answers a line too long with -32600 to its id, keeping only its head, and reads on', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const screened = screenJsonRpc(input, output, ['ping', 'tools/call'], 2048);
    const long = JSON.stringify({ jsonrpc: '2.0', id: 'big', method: 'tools/call', params: { name: 'route_task', arguments: { task: 'x'.repeat(5000) } } });
    const ping = '{"jsonrpc":"2.0","id":2,"method":"ping"}\n';
    // In pieces smaller than the limit, so the line only turns out too long as it goes on.
    const bytes = Buffer.from(`${long}\n${ping}`);
    for (let at = 0; at < bytes.length; at += 1000) input.write(bytes.subarray(at, at + 1000));
    input.end();
    const passed: Buffer[] = [];
    for await (const chunk of screened) passed.push(chunk as Buffer);
    expect(Buffer.concat(passed).toString('utf8')).toBe(ping);
    expect(JSON.parse(output.read().toString('utf8'))).toEqual({
      jsonrpc: '2.0',
      id: 'big',
      error: { code: -32600, message: 'Invalid Request: the message is 5 KiB, over the 2 KiB this server reads in one message' },
    });
  });

  it("finds a long request's id among the top-level members of its head only", () => {
    expect(leadingRequestId('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"argu')).toBe(5);
    expect(leadingRequestId('{"method":"tools/call","params":{"id":9,"arguments":{"task":"fix')).toBeNull();
    expect(leadingRequestId('{"params":{"id":9,"x":[1,{"id":3}]},"id":"a\\"b","method":"tools/call","z":"')).toBe('a"b');
    // A response's id may be one of the client's own requests: not answered to.
    expect(leadingRequestId('{"jsonrpc":"2.0","id":4,"result":{"roots":[')).toBeNull();
    expect(leadingRequestId('[{"id":1,"method":"ping"}')).toBeNull();
    expect(leadingRequestId('xxxxxxxx')).toBeNull();
  });
});

describe('codectx mcp over stdio, sent malformed lines and blank tasks', () => {
  let server: ChildProcessWithoutNullStreams;
  let received = '';
  const waiting: Array<() => void> = [];
  const replies = () => received.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { id: unknown; error?: { code: number; message: string }; result?: unknown });

  /** Sends the lines and resolves, with the replies since, once there are replies to the requests `ids`. */
  const exchange = async (lines: string[], ids: unknown[]) => {
    const before = replies().length;
    const done = new Promise<void>((resolve) => {
      const check = () => {
        const answered = new Set(replies().slice(before).map((reply) => reply.id));
        if (ids.every((id) => answered.has(id))) resolve();
        else waiting.push(check);
      };
      check();
    });
    server.stdin.write(lines.map((line) => `${line}\n`).join(''));
    await done;
    return replies().slice(before);
  };

  beforeAll(async () => {
    const home = await mkdtemp(join(tmpdir(), 'codectx-mcp-jsonrpc-'));
    server = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'codectx.js'), 'mcp'], {
      cwd: home,
      env: { ...process.env, CODECTX_HOME: home },
    });
    server.stdout.setEncoding('utf8').on('data', (text: string) => {
      received += text;
      for (const check of waiting.splice(0)) check();
    });
    const initialize = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } };
    await exchange([JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: initialize })], [0]);
    server.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  });

  afterAll(async () => {
    server.stdin.end();
    await new Promise((resolve) => server.once('close', resolve));
  });

  it('answers every malformed line, and goes on serving', async () => {
    // Seen: no reply at all to the first four, and -32603 with a multi-line validator dump to the fifth. The
    // errors are answered as the lines arrive, so they are all in before the answer to the ping sent after them.
    const answers = await exchange(
      ['garbage', '{}', '[]', '{"jsonrpc":"2.0","id":7}', '{"jsonrpc":"2.0","id":8,"method":"tools/call"}', '{"jsonrpc":"2.0","id":9,"method":"ping"}'],
      [9],
    );
    const byCode = answers.map((answer) => `${String(answer.id)} ${answer.error?.code ?? 'result'}`).sort();
    expect(byCode).toEqual(['8 -32602', '9 result', 'null -32600', 'null -32600', 'null -32600', 'null -32700']);
    for (const answer of answers) if (answer.error) expect(answer.error.message).not.toContain('\n');
  });

  it('answers a request over 10 MB with -32600 to its id, and goes on serving', async () => {
    const task = 'fix the error handling '.repeat(500_000);
    const call = JSON.stringify({ jsonrpc: '2.0', id: 30, method: 'tools/call', params: { name: 'route_task', arguments: { task } } });
    const answers = await exchange([call, '{"jsonrpc":"2.0","id":31,"method":"ping"}'], [30, 31]);
    expect(answers.find((answer) => answer.id === 30)?.error).toEqual({
      code: -32600,
      message: 'Invalid Request: the message is 11 MiB, over the 10 MiB this server reads in one message',
    });
    expect(answers.find((answer) => answer.id === 31)?.result).toEqual({});
  });

  it('refuses a blank query or task as the CLI does', async () => {
    const call = (id: number, name: string, args: object) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
    const answers = await exchange(
      [
        call(20, 'search_code', { path: PROJECT_ROOT, query: '   ' }),
        call(21, 'get_task_context', { path: PROJECT_ROOT, task: ' \n\t' }),
        call(22, 'route_task', { task: '  ' }),
      ],
      [20, 21, 22],
    );
    const text = (id: number) => answers.find((answer) => answer.id === id)?.result;
    expect(text(20)).toEqual({ content: [{ type: 'text', text: 'the query is empty' }], isError: true });
    expect(text(21)).toEqual({ content: [{ type: 'text', text: 'the task is empty' }], isError: true });
    expect(text(22)).toEqual({ content: [{ type: 'text', text: 'the task is empty' }], isError: true });
  });
});
