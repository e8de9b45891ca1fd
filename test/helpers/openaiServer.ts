import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback server speaking the OpenAI HTTP protocol, for tests of remote providers: a real node:http server
 * on 127.0.0.1 and a random port. POST /v1/embeddings returns deterministic unit vectors derived from a hash of
 * each input; POST /v1/chat/completions is answered by a handler the test supplies. Every request is recorded,
 * and the server can be told to fail the next N requests of a path with a status code.
 */

export interface RecordedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** What a route handler answers: a JSON body, or server-sent events (each JSON-encoded, then `data: [DONE]`). */
export interface HandlerReply {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  events?: unknown[];
}

export type RouteHandler = (request: RecordedRequest) => HandlerReply | Promise<HandlerReply>;

export interface OpenAIServerOptions {
  /** Dimension of embedding vectors when the request does not ask for one. Default 16. */
  dimension?: number;
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  /** Replaces the built-in POST /v1/embeddings answer (e.g. to return malformed or unnormalised vectors). */
  embeddings?: RouteHandler;
  /** Answers POST /v1/chat/completions; without it that path is 404. */
  chatCompletions?: RouteHandler;
}

export interface FailureRule {
  status: number;
  /** How many upcoming requests fail. Default 1. */
  times?: number;
  /** Default /v1/embeddings. */
  path?: string;
  /** Sent as retry-after-ms, so clients retry at once instead of backing off for seconds. Default 1. */
  retryAfterMs?: number;
}

export interface OpenAIServer {
  /** e.g. http://127.0.0.1:41234/v1, for the SDK's baseURL. */
  baseURL: string;
  requests: RecordedRequest[];
  requestsTo(path: string): RecordedRequest[];
  failNext(rule: FailureRule): void;
  close(): Promise<void>;
}

/** The vector the server returns for a text: SHA-256 in counter mode, mapped to [-1, 1], unit length. */
export function fakeEmbedding(text: string, dimension: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimension; block++) {
    const digest = createHash('sha256').update(`${block}\0${text}`).digest();
    for (let i = 0; i + 1 < digest.length && values.length < dimension; i += 2) values.push(digest.readUInt16LE(i) / 32767.5 - 1);
  }
  const norm = Math.hypot(...values);
  return values.map((value) => value / norm);
}

export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const requests: RecordedRequest[] = [];
  const failures: Required<FailureRule>[] = [];
  const routes: Record<string, RouteHandler> = {
    '/v1/embeddings': options.embeddings ?? ((request) => embeddings(request, options.dimension ?? 16)),
    ...(options.chatCompletions ? { '/v1/chat/completions': options.chatCompletions } : {}),
  };

  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const path = (req.url ?? '').split('?')[0]!;
    const request: RecordedRequest = { path, headers: req.headers, body: raw ? JSON.parse(raw) : undefined };
    requests.push(request);

    const failure = failures.find((rule) => rule.path === path && rule.times > 0);
    if (failure) {
      failure.times--;
      return send(res, {
        status: failure.status,
        headers: { 'retry-after-ms': String(failure.retryAfterMs) },
        json: { error: { message: `injected failure ${failure.status}`, type: 'test_error' } },
      });
    }
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return send(res, { status: 401, json: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } });
    }
    const handler = req.method === 'POST' ? routes[path] : undefined;
    if (!handler) return send(res, { status: 404, json: { error: { message: `no route ${req.method} ${path}` } } });
    try {
      send(res, await handler(request));
    } catch (error) {
      send(res, { status: 500, json: { error: { message: (error as Error).message } } });
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    requestsTo: (path) => requests.filter((request) => request.path === path),
    failNext: (rule) => failures.push({ times: 1, path: '/v1/embeddings', retryAfterMs: 1, ...rule }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The built-in /v1/embeddings answer, exported so custom handlers can start from it. */
export function embeddings(request: RecordedRequest, defaultDimension: number): HandlerReply {
  const { input, model, dimensions } = request.body as { input: string | string[]; model: string; dimensions?: number };
  const inputs = Array.isArray(input) ? input : [input];
  const dimension = dimensions ?? defaultDimension;
  return {
    json: {
      object: 'list',
      model,
      data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text, dimension) })),
      usage: { prompt_tokens: inputs.join('').length, total_tokens: inputs.join('').length },
    },
  };
}

function send(res: ServerResponse, reply: HandlerReply): void {
  const status = reply.status ?? 200;
  if (reply.events) {
    res.writeHead(status, { 'content-type': 'text/event-stream', ...reply.headers });
    for (const event of reply.events) res.write(`data: ${JSON.stringify(event)}\n\n`);
    res.end('data: [DONE]\n\n');
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
  res.end(JSON.stringify(reply.json ?? {}));
}
