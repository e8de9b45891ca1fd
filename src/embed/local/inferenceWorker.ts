import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { EmbeddingError } from '../../errors.js';

/**
 * onnxruntime-node's `session.run` is synchronous under a setImmediate: a batch would block the event loop for
 * a fifth of a second. Sessions therefore live in a worker thread, and the main thread only tokenizes.
 *
 * The worker is an inline CommonJS script rather than a module file, so it starts the same way from compiled
 * code and from TypeScript sources run by the test runner. It only creates the session and runs it.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.onnxruntimePath);
let session;
parentPort.on('message', async (request) => {
  try {
    if (request.model) {
      session = await ort.InferenceSession.create(request.model, workerData.sessionOptions);
      parentPort.postMessage({ id: request.id });
      return;
    }
    const dims = [request.batch, request.sequence];
    const outputs = await session.run({
      input_ids: new ort.Tensor('int64', request.inputIds, dims),
      attention_mask: new ort.Tensor('int64', request.attentionMask, dims),
    });
    parentPort.postMessage({ id: request.id, vectors: outputs.sentence_embedding.data });
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: String(error && error.message || error) });
  }
});
`;

// No spin-waiting between operators: on a busy machine (an editor, a build, other indexers) spinning threads burn
// a third more CPU per chunk and halve throughput; on an idle one the difference is a few percent.
const SESSION_OPTIONS = {
  intraOpNumThreads: 2,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};

/**
 * onnxruntime 1.29+ starts a telemetry client when its environment is created: it would send events to Microsoft's
 * collector (nothing may leave the machine unasked), and it matches the process command line against a
 * backtracking std::regex, which overflows the stack on a long command line: `codectx search` with a 15,000-char
 * query died with SIGSEGV. The variable is read natively from the process environment, so it is set here, in the
 * main thread (a worker's process.env is a copy), before the worker creates its first session.
 */
function disableOnnxTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY = '1';
}

interface Reply {
  id: number;
  vectors?: Float32Array;
  error?: string;
}

export interface ModelInput {
  /** Token ids, row-major [batch, sequence], padded with 0. */
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  batch: number;
  sequence: number;
}

export class InferenceWorker {
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void; settled: Promise<void> }>();
  private nextId = 0;
  private failure?: Error;
  private closed = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      waiter?.resolve(reply);
    });
    const fail = (error: Error) => {
      this.failure ??= error; // a crash is followed by an exit; the crash is the news
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', (error) => fail(new EmbeddingError(`the embedding worker crashed: ${error.message}`, 1, { cause: error })));
    worker.on('exit', (code) =>
      fail(new EmbeddingError(this.closed ? 'the embedding model was closed' : `the embedding worker stopped (exit code ${code})`)),
    );
  }

  /** Starts a worker and loads the ONNX model into it (the bytes are copied once, into a buffer the worker takes). */
  static async start(model: Uint8Array): Promise<InferenceWorker> {
    disableOnnxTelemetry();
    const onnxruntimePath = createRequire(import.meta.url).resolve('onnxruntime-node');
    // execArgv: [] so that flags of the parent (e.g. --input-type=module) cannot turn the script into a module.
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { onnxruntimePath, sessionOptions: SESSION_OPTIONS },
    });
    const inference = new InferenceWorker(worker);
    const own = new Uint8Array(model);
    try {
      await inference.request({ model: own }, [own.buffer as ArrayBuffer]);
    } catch (error) {
      await worker.terminate();
      throw new EmbeddingError(`cannot load the embedding model: ${(error as Error).message}`, 1, { cause: error });
    }
    return inference;
  }

  /** The batch's unit-length sentence vectors, [batch, hidden] row-major. */
  async run(input: ModelInput): Promise<Float32Array> {
    const reply = await this.request(input, [input.inputIds.buffer as ArrayBuffer, input.attentionMask.buffer as ArrayBuffer]);
    return reply.vectors!;
  }

  /**
   * Lets requests in flight finish first: terminating the worker inside `session.run` aborts the whole process
   * (onnxruntime throws a Napi::Error nobody can catch), which a search failing while the classifier embeds did.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pending.values()].map((waiter) => waiter.settled));
    await this.worker.terminate();
  }

  private request(message: object, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new EmbeddingError('the embedding model was closed'));
    const id = this.nextId++;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (reply) => (settle(), resolve(reply)),
        reject: (error) => (settle(), reject(error)),
        settled,
      });
      // Referenced only while a request is in flight: an idle model must not keep the process alive.
      this.worker.ref();
      this.worker.postMessage({ ...message, id }, transfer);
    }).then((reply) => {
      if (reply.error !== undefined) throw new EmbeddingError(`embedding inference failed: ${reply.error}`);
      return reply;
    });
  }
}
