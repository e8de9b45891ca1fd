/**
 * Answers, as JSON-RPC 2.0 asks, the stdin lines the MCP SDK's stdio transport would drop or answer badly, before
 * it sees them. The SDK only reports a line that is not JSON, or not a JSON-RPC message, to its onerror: the client
 * waits for an answer that never comes. Here they get -32700 (parse error) and -32600 (invalid request). A request
 * whose params do not fit its method gets -32602 (invalid params) in one line, where the SDK answers -32603
 * (internal error) with its validator's JSON dump. A line too long for the SDK (which would close the transport)
 * gets -32600 and is skipped.
 */
import { Transform, type Readable, type Writable } from 'node:stream';
import { STDIO_DEFAULT_MAX_BUFFER_SIZE } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { ClientRequestSchema, ErrorCode, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { binaryBytes } from '../text.js';

export interface ErrorReply {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string };
}

type RequestSchema = (typeof ClientRequestSchema.options)[number];

/**
 * Longest line read, newline included: the SDK's own limit, past which its transport closes and the client loses
 * the server. A longer line is answered here and skipped, and only its first bytes are kept meanwhile.
 */
export const MAX_LINE_BYTES = STDIO_DEFAULT_MAX_BUFFER_SIZE;

/** How much of a line too long is kept, to find the id to answer to. */
const HEAD_BYTES = 64 * 1024;

/**
 * `input` with the lines that deserve an error reply taken out (the reply goes to `output`), for the SDK's
 * StdioServerTransport to read. `methods`: the requests the server answers, whose params are checked here.
 */
export function screenJsonRpc(input: Readable, output: Writable, methods: readonly string[], maxLineBytes = MAX_LINE_BYTES): Readable {
  const schemas = requestSchemas(methods);
  // The line read so far, in pieces (joined once it ends); or, once it is too long, its head and its length.
  let pieces: Buffer[] = [];
  let length = 0;
  let tooLong: { head: Buffer; length: number } | undefined;
  const take = (piece: Buffer) => {
    if (tooLong) tooLong.length += piece.length;
    else if (length + piece.length <= maxLineBytes) {
      pieces.push(piece);
      length += piece.length;
    } else {
      tooLong = { head: Buffer.concat([...pieces, piece]).subarray(0, HEAD_BYTES), length: length + piece.length };
      pieces = [];
      length = 0;
    }
  };
  const screen = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (let start = 0; start < chunk.length; ) {
        const end = chunk.indexOf('\n', start);
        take(chunk.subarray(start, end === -1 ? chunk.length : end + 1));
        if (end === -1) break;
        start = end + 1;
        if (tooLong) {
          output.write(`${JSON.stringify(tooLargeReply(tooLong.head.toString('utf8'), tooLong.length, maxLineBytes))}\n`);
          tooLong = undefined;
          continue;
        }
        const line = Buffer.concat(pieces);
        pieces = [];
        length = 0;
        const text = line.toString('utf8').replace(/\r?\n$/, '');
        if (text.trim() === '') continue;
        const reply = errorReply(text, schemas);
        if (reply) output.write(`${JSON.stringify(reply)}\n`);
        else this.push(line);
      }
      done();
    },
  });
  return input.pipe(screen);
}

/** The answer to a line over the limit: -32600 to the request's id, when its first bytes name one. */
export function tooLargeReply(head: string, length: number, maxLineBytes: number): ErrorReply {
  const size = `${binaryBytes(length)}, over the ${binaryBytes(maxLineBytes)} this server reads in one message`;
  return reply(leadingRequestId(head), ErrorCode.InvalidRequest, `Invalid Request: the message is ${size}`);
}

/**
 * The id of the request a JSON text begins with, read from the top-level members of the part that is there (a
 * message cut short cannot be parsed); null unless "method" is a string and "id" a string or number. Members
 * inside params are skipped, so an "id" in the arguments is never taken for the request's.
 */
export function leadingRequestId(head: string): string | number | null {
  const token = /\s*("(?:[^"\\]|\\.)*"|[{}[\]:,]|[^\s{}[\]:,"]+)/y;
  const members: Record<string, unknown> = {};
  let depth = 0;
  let expectKey = false;
  let key: string | undefined;
  for (let match = token.exec(head); match; match = token.exec(head)) {
    const text = match[1]!;
    if (text === '{' || text === '[') {
      if (depth === 0 && text !== '{') return null;
      depth += 1;
      expectKey = depth === 1;
    } else if (text === '}' || text === ']') {
      depth -= 1;
      if (depth === 0) break;
    } else if (depth !== 1) {
      continue;
    } else if (text === ',') {
      expectKey = true;
    } else if (text === ':') {
      expectKey = false;
    } else if (expectKey) {
      key = parseToken(text) as string;
    } else if (key === 'id' || key === 'method') {
      members[key] = parseToken(text);
    }
  }
  const { id, method } = members;
  return typeof method === 'string' && (typeof id === 'string' || typeof id === 'number') ? id : null;
}

function parseToken(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
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
