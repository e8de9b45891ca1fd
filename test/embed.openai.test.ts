import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmbeddingProvider, createTokenCounter, embeddingCostUsd } from '../src/embed/index.js';
import { OpenAIEmbeddingProvider } from '../src/embed/openaiProvider.js';
import { EmbeddingError } from '../src/errors.js';
import { embeddings, fakeEmbedding, startOpenAIServer, type HandlerReply, type OpenAIServer, type RecordedRequest } from './helpers/openaiServer.js';

const KEY_ENV = 'CODECTX_TEST_EMBEDDING_KEY';

function norm(vector: Float32Array): number {
  return Math.hypot(...vector);
}

describe('OpenAI-compatible embedding provider (loopback server)', () => {
  let server: OpenAIServer;

  beforeEach(async () => {
    server = await startOpenAIServer({ dimension: 24, apiKey: 'sk-test' });
    process.env[KEY_ENV] = 'sk-test';
  });

  afterEach(async () => {
    await server.close();
    delete process.env[KEY_ENV];
  });

  const create = (options: Partial<Parameters<typeof OpenAIEmbeddingProvider.create>[0]> = {}) =>
    OpenAIEmbeddingProvider.create({ model: 'text-embedding-3-small', baseURL: server.baseURL, apiKeyEnv: KEY_ENV, ...options });

  it('detects the dimension with one probe request and sends the key from the named variable', async () => {
    const provider = await create();
    expect(provider.dimension).toBe(24);
    expect(provider.id).toBe('openai:text-embedding-3-small');
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(1);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-test');
    expect(server.requests[0]!.body.dimensions).toBeUndefined();
  });

  it('batches requests, keeps the caller order and returns unit vectors', async () => {
    const provider = await create({ batchSize: 3 });
    const texts = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'];
    const vectors = await provider.embed(texts);

    const embedCalls = server.requestsTo('/v1/embeddings').slice(1); // after the probe
    expect(embedCalls.map((request) => request.body.input)).toEqual([texts.slice(0, 3), texts.slice(3, 6), texts.slice(6)]);
    expect(embedCalls.every((request) => request.body.encoding_format === 'float')).toBe(true);
    vectors.forEach((vector, i) => {
      expect(vector).toHaveLength(24);
      expect(norm(vector)).toBeCloseTo(1, 5);
      const expected = fakeEmbedding(texts[i]!, 24);
      expect(Array.from(vector).map((v, d) => v - expected[d]!).every((diff) => Math.abs(diff) < 1e-6)).toBe(true);
    });
  });

  it('passes configured dimensions to the API and skips the probe', async () => {
    const provider = await create({ dimensions: 8 });
    expect(server.requests).toHaveLength(0);
    const [vector] = await provider.embed(['one text']);
    expect(provider.dimension).toBe(8);
    expect(vector).toHaveLength(8);
    expect(server.requests[0]!.body.dimensions).toBe(8);
  });

  it('sizes chunks without the provider as the provider does: its limit and its count', async () => {
    for (const model of ['text-embedding-3-small', 'nomic-embed-text']) {
      const provider = await create({ model, dimensions: 8 });
      const counter = await createTokenCounter({ provider: 'openai', model, baseURL: server.baseURL });
      expect(counter.maxTokens, model).toBe(provider.maxTokens);
      expect(counter.countTokens('export function verifyPassword(user, password) {}'), model).toBe(
        provider.countTokens('export function verifyPassword(user, password) {}'),
      );
      await provider.close();
    }
    expect(server.requests).toHaveLength(0);
  });

  it('normalises vectors a server returns unnormalised', async () => {
    const scaled = await startOpenAIServer({
      embeddings: (request) => {
        const reply = embeddings(request, 12);
        for (const item of (reply.json as { data: { embedding: number[] }[] }).data) item.embedding = item.embedding.map((v) => v * 7);
        return reply;
      },
    });
    try {
      const provider = await OpenAIEmbeddingProvider.create({ model: 'nomic-embed-text', baseURL: scaled.baseURL });
      const [vector] = await provider.embed(['text']);
      expect(norm(vector!)).toBeCloseTo(1, 5);
      expect(vector![0]).toBeCloseTo(fakeEmbedding('text', 12)[0]!, 5);
    } finally {
      await scaled.close();
    }
  });

  it('rejects a response whose vector count does not match the inputs', async () => {
    const short = await startOpenAIServer({
      embeddings: (request) => {
        const reply = embeddings(request, 12);
        (reply.json as { data: unknown[] }).data.pop();
        return reply;
      },
    });
    try {
      const error = await OpenAIEmbeddingProvider.create({ model: 'm', baseURL: short.baseURL }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EmbeddingError);
      expect((error as Error).message).toBe(`${short.baseURL} returned 0 embeddings for 1 inputs`);
    } finally {
      await short.close();
    }
  });

  it('retries a rate limit (429) and server errors (500), then succeeds', async () => {
    const provider = await create({ dimensions: 24 });
    server.failNext({ status: 429 });
    const [first] = await provider.embed(['after a rate limit']);
    expect(first).toHaveLength(24);
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(2);

    server.failNext({ status: 500, times: 2 });
    await provider.embed(['after two server errors']);
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(5);
  });

  it('gives up after bounded retries with one readable line', async () => {
    const provider = await create({ dimensions: 24 });
    server.failNext({ status: 429, times: 100 });
    const error = await provider.embed(['never']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect((error as Error).message).toMatch(/after 5 retries: 429/);
    expect((error as Error).message).not.toContain('\n');
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(6);
  });

  it('reports a wrong key (401) naming the variable, without retrying', async () => {
    process.env[KEY_ENV] = 'sk-wrong';
    const error = await create().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect((error as Error).message).toBe(`${server.baseURL} rejected the API key in ${KEY_ENV} (401 Unauthorized)`);
    expect(server.requests).toHaveLength(1);
  });

  // QA round 10: fetch refused the header with a message quoting it, and the key's first line reached stderr.
  it('refuses a key holding a line break by its variable, never showing the key and sending nothing', async () => {
    process.env[KEY_ENV] = 'sk-first-line-secret\nsecond';
    const error = await create().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect((error as Error).message).toBe(`${KEY_ENV} holds a line break or another control character, which an HTTP header cannot carry; set it to the key alone`);
    expect(server.requests).toHaveLength(0);
  });

  it('reports an unreachable endpoint naming its URL', async () => {
    const closed = await startOpenAIServer();
    const url = closed.baseURL;
    await closed.close();
    const error = await OpenAIEmbeddingProvider.create({ model: 'm', baseURL: url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect((error as Error).message).toBe(`cannot reach the embedding endpoint ${url} (ECONNREFUSED)`);
  });

  it('requires the key variable for OpenAI itself, before any request', async () => {
    const error = await OpenAIEmbeddingProvider.create({ model: 'text-embedding-3-small', apiKeyEnv: 'CODECTX_TEST_UNSET_KEY' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EmbeddingError);
    expect((error as Error).message).toContain('set the environment variable CODECTX_TEST_UNSET_KEY');
  });

  it('estimates tokens at four characters each and knows the model limits', async () => {
    const provider = await create({ dimensions: 24 });
    expect(provider.countTokens('abcdefghi')).toBe(3);
    expect(provider.maxTokens).toBe(8191);
    expect((await create({ model: 'nomic-embed-text', dimensions: 24 })).maxTokens).toBe(512);
    expect((await create({ model: 'nomic-embed-text', dimensions: 24, maxTokens: 2048 })).maxTokens).toBe(2048);
  });

  it('is what the factory builds for provider "openai"', async () => {
    const provider = await createEmbeddingProvider({ provider: 'openai', baseURL: server.baseURL, apiKeyEnv: KEY_ENV });
    expect(provider.id).toBe('openai:text-embedding-3-small');
    expect(provider.dimension).toBe(24);
    expect(server.requests[0]!.body.model).toBe('text-embedding-3-small');
  });
});

describe('embedding cost estimate', () => {
  it('prices known OpenAI models per million tokens and the rest at zero', () => {
    expect(embeddingCostUsd({ provider: 'openai', model: 'text-embedding-3-small' }, 1_000_000)).toBeCloseTo(0.02);
    expect(embeddingCostUsd({ provider: 'openai', model: 'text-embedding-3-large' }, 2_000_000)).toBeCloseTo(0.26);
    expect(embeddingCostUsd({ provider: 'openai', model: 'text-embedding-ada-002' }, 500_000)).toBeCloseTo(0.05);
    expect(embeddingCostUsd({ provider: 'openai' }, 1_000_000)).toBeCloseTo(0.02);
    expect(embeddingCostUsd({ provider: 'openai', model: 'nomic-embed-text' }, 1_000_000)).toBe(0);
    expect(embeddingCostUsd({ provider: 'local' }, 1_000_000)).toBe(0);
  });
});

describe('OpenAI-compatible provider: requests in flight', () => {
  let inFlight = 0;
  let maxInFlight = 0;
  let server: OpenAIServer;
  /** Answers after a delay that shrinks with the batch's position, so later batches finish first. */
  let delayOf: (input: string[]) => number;
  let reply: (request: RecordedRequest) => HandlerReply;

  beforeEach(async () => {
    inFlight = 0;
    maxInFlight = 0;
    delayOf = (input) => 60 - Number(input[0]!.split(' ')[1]) / 4;
    reply = (request) => embeddings(request, 12);
    server = await startOpenAIServer({
      embeddings: async (request) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          await new Promise((resolve) => setTimeout(resolve, delayOf(request.body.input)));
          return reply(request);
        } finally {
          inFlight--;
        }
      },
    });
  });

  afterEach(() => server.close());

  const texts = Array.from({ length: 40 }, (_, i) => `text ${i}`);
  const create = (options: { concurrency?: number; batchSize?: number }) =>
    OpenAIEmbeddingProvider.create({ model: 'nomic-embed-text', baseURL: server.baseURL, dimensions: 12, ...options });

  it('keeps at most the configured number of requests in flight, and the caller order', async () => {
    for (const concurrency of [1, 3]) {
      maxInFlight = 0;
      const provider = await create({ concurrency, batchSize: 4 });
      expect(provider.textsPerCall).toBe(4 * concurrency);
      const vectors = await provider.embed(texts);
      expect(maxInFlight, `concurrency ${concurrency}`).toBe(concurrency);
      expect(vectors.map((vector) => vector[0]!.toFixed(6))).toEqual(texts.map((text) => fakeEmbedding(text, 12)[0]!.toFixed(6)));
    }
  });

  it('sends 4 requests at once by default', async () => {
    const provider = await create({ batchSize: 2 });
    await provider.embed(texts);
    expect(maxInFlight).toBe(4);
  });

  it('retries a rate-limited request among parallel ones and still returns every vector in order', async () => {
    const provider = await create({ concurrency: 4, batchSize: 4 });
    server.failNext({ status: 429, times: 3 });
    const vectors = await provider.embed(texts);
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(10 + 3);
    expect(vectors.map((vector) => vector[0]!.toFixed(6))).toEqual(texts.map((text) => fakeEmbedding(text, 12)[0]!.toFixed(6)));
  });

  it('stops at the first failure: one readable line, no new requests, the ones in flight aborted', async () => {
    const provider = await create({ concurrency: 4, batchSize: 2 });
    // The first batch fails after 100 ms, once its three neighbours are in flight; they would answer after 2 s.
    delayOf = (input) => (input[0] === 'text 0' ? 100 : 2_000);
    reply = (request) =>
      request.body.input[0] === 'text 0' ? { status: 400, json: { error: { message: 'input too long' } } } : embeddings(request, 12);
    const started = performance.now();
    const error = await provider.embed(texts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect((error as Error).message).toBe(`embedding request for nomic-embed-text to ${server.baseURL} failed: 400 input too long`);
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(4);
    // Not waiting out the 2 s answers is what "aborted" means here; generous, since the machine is shared.
    expect(performance.now() - started).toBeLessThan(1_500);
  });
});
