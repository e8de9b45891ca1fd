// Remote embedding throughput: chunks/s of the OpenAI-compatible provider at 1, 2, 4 and 8 requests in flight,
// against a loopback server speaking /v1/embeddings that answers like a hosted API: 120 ms + 2 ms an input,
// ±20% jitter. Batches of 64 texts (the default); chunks are ~800-character slices of
// node_modules/typescript/lib/typescript.js. The server runs in a child process, so its JSON work is not
// counted against the client. Usage: npm run bench:remote-embed [-- --chunks N]
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';

const args = process.argv.slice(2);
const DIMENSION = 256;
const BATCH = 64;
const delayMs = (inputs) => 120 + 2 * inputs;

if (args.includes('--serve')) serve();
else await measure(Number(args[args.indexOf('--chunks') + 1] || 5000) || 5000);

async function measure(chunkCount) {
  const { OpenAIEmbeddingProvider } = await import('../dist/embed/openaiProvider.js');
  const source = readFileSync(createRequire(import.meta.url).resolve('typescript/lib/typescript.js'), 'utf8');
  const texts = Array.from({ length: chunkCount }, (_, i) => {
    const start = (i * 7919) % (source.length - 800);
    return source.slice(start, start + 800);
  });

  const child = fork(new URL(import.meta.url), ['--serve']);
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const baseURL = `http://127.0.0.1:${port}/v1`;
  /** The most requests the server had at once since the last ask. */
  const maxInFlight = () => {
    child.send('max');
    return new Promise((resolve) => child.once('message', resolve));
  };

  console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (2 cores)`);
  console.log(`${chunkCount} chunks, batches of ${BATCH}, server delay ${delayMs(0)} ms + 2 ms an input ±20%`);
  const serverBound = BATCH / (delayMs(BATCH) / 1000);
  try {
    for (const concurrency of [1, 2, 4, 8]) {
      const provider = await OpenAIEmbeddingProvider.create({ model: 'bench', baseURL, dimensions: DIMENSION, batchSize: BATCH, concurrency });
      await maxInFlight();
      const started = performance.now();
      const vectors = await provider.embed(texts);
      const seconds = (performance.now() - started) / 1000;
      if (vectors.length !== texts.length) throw new Error(`got ${vectors.length} vectors for ${texts.length} texts`);
      console.log(
        `concurrency ${concurrency}: ${(chunkCount / seconds).toFixed(0).padStart(5)} chunks/s (${seconds.toFixed(1)} s, ` +
          `at most ${await maxInFlight()} requests in flight; the server's delay alone allows ${(serverBound * concurrency).toFixed(0)})`,
      );
    }
  } finally {
    child.kill();
  }
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

function serve() {
  let inFlight = 0;
  let most = 0;
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const part of req) raw += part;
    const { input } = JSON.parse(raw);
    most = Math.max(most, ++inFlight);
    await new Promise((resolve) => setTimeout(resolve, delayMs(input.length) * (0.8 + 0.4 * Math.random())));
    inFlight--;
    const data = input.map((text, index) => ({ object: 'embedding', index, embedding: vectorOf(text) }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data, model: 'bench', usage: { prompt_tokens: 0, total_tokens: 0 } }));
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', () => {
    process.send(most);
    most = 0;
  });
}

/** A deterministic vector per text, so answers are real-sized JSON. */
function vectorOf(text) {
  const digest = createHash('sha256').update(text).digest();
  return Array.from({ length: DIMENSION }, (_, i) => digest[i % 32] / 127.5 - 1);
}
