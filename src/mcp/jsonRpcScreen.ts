/**
 * Answers, as JSON-RPC 2.0 asks, the stdin lines the MCP SDK's stdio transport would drop or answer badly, before
 * it sees them. The SDK only reports a line that is not JSON, or not a JSON-RPC message, to its onerror: the client
 * waits for an answer that never comes. Here they get -32700 (parse error) and -32600 (invalid request). A request
 * whose params do not fit its method gets -32602 (invalid params) in one line, where the SDK answers -32603
 * (internal error) with its validator's JSON dump.
 */
import { Transform, type Readable, type Writable } from 'node:stream';
import { STDIO_DEFAULT_MAX_BUFFER_SIZE } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { ClientRequestSchema, ErrorCode, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';

export interface ErrorReply {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string };
}

type RequestSchema = (typeof ClientRequestSchema.options)[number];

/**
 * `input` with the lines that deserve an error reply taken out (the reply goes to `output`), for the SDK's
 * StdioServerTransport to read. `methods`: the requests the server answers, whose params are checked here.
 */
export function screenJsonRpc(input: Readable, output: Writable, methods: readonly string[]): Readable {
  const schemas = requestSchemas(methods);
  let pending: Buffer = Buffer.alloc(0);
  const screen = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n')) {
        const line = pending.subarray(0, end + 1);
        pending = pending.subarray(end + 1);
        const text = line.toString('utf8').replace(/\r?\n$/, '');
        if (text.trim() === '') continue;
        const reply = errorReply(text, schemas);
        if (reply) output.write(`${JSON.stringify(reply)}\n`);
        else this.push(line);
      }
      // A line longer than the SDK takes goes on to it, to be refused the SDK's way (it closes the transport).
      if (pending.length > STDIO_DEFAULT_MAX_BUFFER_SIZE) {
        this.push(pending);
        pending = Buffer.alloc(0);
      }
      done();
    },
  });
  return input.pipe(screen);
}

/** The error a line gets instead of going to the SDK; undefined when it is a message the SDK can take. */
export function errorReply(line: string, schemas: ReadonlyMap<string, RequestSchema>): ErrorReply | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return reply(null, ErrorCode.ParseError, `Parse error: ${firstLine((error as Error).message)}`);
  }
  const message = value as { id?: unknown; method?: unknown };
  // Only a request's id is answered to: the id of anything else may be one of the client's own pending requests.
  const id = typeof message?.method === 'string' && (typeof message.id === 'string' || typeof message.id === 'number') ? message.id : null;
  if (!JSONRPCMessageSchema.safeParse(value).success) return reply(id, ErrorCode.InvalidRequest, `Invalid Request: ${invalidBecause(value)}`);
  const schema = id !== null ? schemas.get(message.method as string) : undefined;
  const checked = schema?.safeParse(value);
  if (!checked || checked.success) return undefined;
  const issue = checked.error.issues[0]!;
  const where = issue.path.map(String).join('.');
  return reply(id, ErrorCode.InvalidParams, `Invalid params for ${String(message.method)}: ${where}: ${issue.message.replace(/^Invalid input: /, '')}`);
}

/** The schemas of the client requests named, by method. */
export function requestSchemas(methods: readonly string[]): Map<string, RequestSchema> {
  const schemas = new Map<string, RequestSchema>();
  for (const schema of ClientRequestSchema.options) {
    const method = schema.shape.method.value;
    if (methods.includes(method)) schemas.set(method, schema);
  }
  return schemas;
}

function invalidBecause(value: unknown): string {
  if (Array.isArray(value)) return 'a batch (send one message a line)';
  if (typeof value !== 'object' || value === null) return 'not a JSON-RPC message object';
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== '2.0') return '"jsonrpc" must be "2.0"';
  if (!('method' in message) && !('result' in message) && !('error' in message)) return 'no "method"';
  return 'not a JSON-RPC 2.0 request, notification or response';
}

function reply(id: string | number | null, code: number, message: string): ErrorReply {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
