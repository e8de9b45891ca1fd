import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { EmbeddingError } from '../../errors.js';
import { bertConfigFrom, buildBertGraph, GRAPH_BUILDER_VERSION, type ModelVariant } from './bertGraph.js';
import { SafeTensors } from './safetensors.js';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../../config/paths.js';

/**
 * The built ONNX graph is cached on disk: building it takes seconds, loading it a fraction of that. The file
 * name carries the weights' hash and the graph builder's version; the file ends with the SHA-256 of its body,
 * so a partial or corrupt file is detected and rebuilt. Writes go to a temporary file renamed into place, so
 * two processes building at once never see each other's half-written file.
 */
const DIGEST_BYTES = 32;

export interface ModelFiles {
  weightsPath: string;
  configPath: string;
}

export interface CachedGraph {
  /** The ONNX model bytes. */
  model: Uint8Array;
  path: string;
  /** True when the graph had to be built (no cache, stale or corrupt). */
  built: boolean;
}

export async function loadOrBuildGraph(files: ModelFiles, variant: ModelVariant, cacheDir: string): Promise<CachedGraph> {
  const weights = await readModelFile(files.weightsPath);
  const weightsHash = createHash('sha256').update(weights).digest('hex').slice(0, 16);
  const prefix = `all-MiniLM-L6-v2.${variant}.`;
  const path = join(cacheDir, `${prefix}${weightsHash}.g${GRAPH_BUILDER_VERSION}.onnx`);

  const cached = await readVerified(path);
  if (cached) return { model: cached, path, built: false };

  const config = bertConfigFrom(JSON.parse((await readModelFile(files.configPath)).toString('utf8')) as Record<string, unknown>);
  const model = buildBertGraph(SafeTensors.parse(weights, files.weightsPath), config, variant);
  await writeAtomically(path, model);
  await removeStale(cacheDir, prefix, basename(path));
  return { model, path, built: true };
}

/** Graphs of older weights or builder versions are never read again; each is tens of megabytes. */
async function removeStale(cacheDir: string, prefix: string, current: string): Promise<void> {
  const names = await readdir(cacheDir).catch(() => []);
  const stale = names.filter((name) => name.startsWith(prefix) && name.endsWith('.onnx') && name !== current);
  await Promise.all(stale.map((name) => rm(join(cacheDir, name), { force: true })));
}

async function readModelFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new EmbeddingError(`cannot read model file ${path}: ${(error as Error).message}`, 1, { cause: error });
  }
}

/** The cached model body, or undefined when the file is missing or fails its checksum. */
async function readVerified(path: string): Promise<Uint8Array | undefined> {
  const file = await readFile(path).catch(() => undefined);
  if (!file || file.byteLength <= DIGEST_BYTES) return undefined;
  const body = file.subarray(0, file.byteLength - DIGEST_BYTES);
  const digest = createHash('sha256').update(body).digest();
  return digest.equals(file.subarray(body.byteLength)) ? body : undefined;
}

async function writeAtomically(path: string, model: Uint8Array): Promise<void> {
  const digest = createHash('sha256').update(model).digest();
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    makePrivateDir(join(path, '..'));
    await writeFile(temporary, [model, digest], { mode: PRIVATE_FILE_MODE });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new EmbeddingError(`cannot write the model cache ${path}: ${(error as Error).message}`, 1, { cause: error });
  }
}
