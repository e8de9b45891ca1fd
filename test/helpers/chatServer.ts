/**
 * A loopback HTTP server speaking the OpenAI chat-completions protocol (streamed SSE chunks with a final usage
 * chunk), for testing model providers with the real `openai` SDK. Each request is answered by the next scripted
 * reply, or broken off as a failing server would; the requests are recorded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

type Usage = { prompt_tokens: number; completion_tokens: number };

export type ScriptedReply =
  | { kind: 'stream'; pieces: string[]; usage?: Usage }
  /** A server that ignores `stream: true`: the whole `chat.completion` as one JSON body. */
  | { kind: 'completion'; content: string; usage?: Usage }
  /** Streams the pieces, then drops the connection with no [DONE] (a server or proxy dying mid-answer). */
  | { kind: 'drop'; pieces: string[] }
  /** Streams the pieces, then nothing more, the connection left open (a model still writing when Ctrl-C comes). */
  | { kind: 'stall'; pieces: string[] }
  /** Streams `piece` every `everyMs` for as long as the client listens (a long answer still being written). */
  | { kind: 'trickle'; piece: string; everyMs: number }
  /** Drops the connection before answering at all. */
  | { kind: 'reset' }
  | { kind: 'error'; status: number; message: string }
  /** A 200 with this body as it stands (a broken server or proxy). */
  | { kind: 'raw'; contentType: string; body: string };

export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  body: { model: string; messages: Array<{ role: string; content: string }>; stream?: boolean };
}

export interface ChatServer {
  baseURL: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startChatServer(replies: ScriptedReply[]): Promise<ChatServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (data) => (raw += data));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(raw) });
      const reply = replies.shift() ?? { kind: 'error', status: 500, message: 'no scripted reply left' };
      if (reply.kind === 'error') {
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: reply.message, type: 'test', code: reply.status } }));
        return;
      }
      if (reply.kind === 'raw') {
        res.writeHead(200, { 'content-type': reply.contentType });
        res.end(reply.body);
        return;
      }
      if (reply.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (reply.kind === 'completion') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const message = { role: 'assistant', content: reply.content };
        const usage = reply.usage ? { usage: { ...reply.usage, total_tokens: 0 } } : {};
        res.end(JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion', created: 0, model: 'test', choices: [{ index: 0, message, finish_reason: 'stop' }], ...usage }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const chunk = (delta: object, usage?: object) =>
        `data: ${JSON.stringify({
          id: 'chatcmpl-test',
          object: 'chat.completion.chunk',
          created: 0,
          model: 'test',
          choices: usage ? [] : [{ index: 0, delta, finish_reason: null }],
          ...(usage ? { usage: { ...usage, total_tokens: 0 } } : {}),
        })}\n\n`;
      if (reply.kind === 'trickle') {
        const timer = setInterval(() => res.write(chunk({ content: reply.piece })), reply.everyMs);
        res.on('close', () => clearInterval(timer));
        return;
      }
      const pieces = reply.pieces.map((piece) => chunk({ content: piece })).join('');
      if (reply.kind === 'drop') {
        // Once the pieces are sent: the client reads them, then the connection ends mid-body.
        res.write(pieces, () => res.socket?.destroy());
        return;
      }
      if (reply.kind === 'stall') {
        res.write(pieces);
        return;
      }
      res.write(pieces);
      if (reply.usage) res.write(chunk({}, reply.usage));
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // A stalled answer's connection would hold close() open.
        server.closeAllConnections();
      }),
  };
}

/** For a test file: a function that starts a scripted server, each closed after the test that started it. */
export function serversClosedAfterEach(): (...replies: ScriptedReply[]) => Promise<ChatServer> {
  const started: ChatServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });
  return async (...replies) => {
    const s = await startChatServer(replies);
    started.push(s);
    return s;
  };
}
