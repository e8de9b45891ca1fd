import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { parseConfigFile, STORE_KINDS, type ConfigFile } from './fileSchema.js';
import { assertTrusted } from './trust.js';

export type StoreKind = (typeof STORE_KINDS)[number];

export function isStoreKind(value: unknown): value is StoreKind {
  return STORE_KINDS.includes(value as StoreKind);
}

export interface MilvusSettings {
  address?: string;
  token?: string;
  username?: string;
  password?: string;
  database?: string;
  index?: MilvusIndexSettings;
}

/** The vector index of a Milvus collection: HNSW, or HNSW with 8-bit scalar-quantised vectors (a quarter of the memory). */
export interface MilvusIndexSettings {
  type?: 'HNSW' | 'HNSW_SQ8';
  M?: number;
  efConstruction?: number;
  /** Candidates a search explores (raised to the number of results asked for when that is larger). */
  ef?: number;
}

export interface EmbeddingSettings {
  provider: 'local' | 'openai';
  /** Local model variant. */
  variant?: 'int8' | 'fp32';
  /** Remote model name, e.g. text-embedding-3-small. */
  model?: string;
  baseURL?: string;
  /** Name of the environment variable holding the API key (never the key itself). */
  apiKeyEnv?: string;
  dimensions?: number;
  batchSize?: number;
  /** Remote embedding requests in flight at once. */
  concurrency?: number;
}

export interface CodectxConfig {
  store: StoreKind;
  milvus: MilvusSettings;
  embedding: EmbeddingSettings;
  maxFileBytes: number;
  /** Chunk size budget in model tokens; defaults to the embedding model's limit (capped at 400). */
  chunkTokens?: number;
  /** Extra ignore patterns, .gitignore syntax. */
  ignore: string[];
  /** The project config file as written (checked), for sections other modules own (routing, context, hook, model). */
  project: ConfigFile;
}

export const CONFIG_FILE = 'codectx.config.json';

/** Settings given on the command line; undefined means "not given". */
export interface ConfigFlags {
  store?: string;
  milvusAddress?: string;
  embeddingProvider?: string;
  embeddingModel?: string;
  maxFileBytes?: number;
}

const DEFAULTS: Omit<CodectxConfig, 'project'> = {
  store: 'lancedb',
  milvus: {},
  embedding: { provider: 'local', variant: 'int8' },
  maxFileBytes: 1024 * 1024,
  ignore: [],
};

/** Flags > environment (CODECTX_*) > codectx.config.json in the codebase > defaults. */
export function loadConfig(root: string, flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): CodectxConfig {
  const fromFile = readProjectConfig(root);
  assertTrusted(root, fromFile, join(root, CONFIG_FILE));
  const config: CodectxConfig = {
    store: fromFile.store ?? DEFAULTS.store,
    milvus: { ...DEFAULTS.milvus, ...fromFile.milvus },
    embedding: { ...DEFAULTS.embedding, ...fromFile.embedding },
    maxFileBytes: fromFile.maxFileBytes ?? DEFAULTS.maxFileBytes,
    chunkTokens: fromFile.chunkTokens,
    ignore: [...DEFAULTS.ignore, ...(fromFile.ignore ?? [])],
    project: fromFile,
  };
  if (config.chunkTokens === undefined) delete config.chunkTokens;

  if (env.CODECTX_STORE) config.store = parseStore(env.CODECTX_STORE, 'CODECTX_STORE');
  assignDefined(config.milvus, {
    address: env.CODECTX_MILVUS_ADDRESS,
    token: env.CODECTX_MILVUS_TOKEN,
    username: env.CODECTX_MILVUS_USERNAME,
    password: env.CODECTX_MILVUS_PASSWORD,
    database: env.CODECTX_MILVUS_DATABASE,
  });
  if (env.CODECTX_EMBEDDING_PROVIDER) config.embedding.provider = parseProvider(env.CODECTX_EMBEDDING_PROVIDER);
  assignDefined(config.embedding, {
    model: env.CODECTX_EMBEDDING_MODEL,
    baseURL: env.CODECTX_EMBEDDING_BASE_URL,
    apiKeyEnv: env.CODECTX_EMBEDDING_API_KEY_ENV,
  });
  // Set but empty is refused too: taken as unset, a typo in a script went unnoticed.
  if (env.CODECTX_EMBEDDING_DIMENSIONS !== undefined) {
    config.embedding.dimensions = parsePositive(env.CODECTX_EMBEDDING_DIMENSIONS, 'CODECTX_EMBEDDING_DIMENSIONS');
  }
  if (env.CODECTX_MAX_FILE_BYTES !== undefined) {
    config.maxFileBytes = parsePositive(env.CODECTX_MAX_FILE_BYTES, 'CODECTX_MAX_FILE_BYTES');
  }

  if (flags.store) config.store = parseStore(flags.store, '--store');
  if (flags.milvusAddress) config.milvus.address = flags.milvusAddress;
  if (flags.embeddingProvider) config.embedding.provider = parseProvider(flags.embeddingProvider);
  if (flags.embeddingModel) config.embedding.model = flags.embeddingModel;
  if (flags.maxFileBytes !== undefined) config.maxFileBytes = parsePositive(flags.maxFileBytes, '--max-file-bytes');

  if (config.embedding.provider === 'local' && config.embedding.model !== undefined) {
    // The local provider chosen above the file (environment, flag) sets aside the file's model, written for openai.
    const modelAboveFile = Boolean(flags.embeddingModel || env.CODECTX_EMBEDDING_MODEL);
    if ((flags.embeddingProvider || env.CODECTX_EMBEDDING_PROVIDER) && !modelAboveFile) delete config.embedding.model;
  }
  // Otherwise it would be ignored without a word: the local model is built in.
  if (config.embedding.provider === 'local' && config.embedding.model !== undefined) {
    throw new ConfigError(
      `the local embedding provider runs all-MiniLM-L6-v2 only (embedding.variant picks int8 or fp32), so the embedding model "${config.embedding.model}" would be ignored; remove it, or set the provider to openai`,
    );
  }
  if (config.embedding.provider === 'openai' && !config.embedding.model) config.embedding.model = 'text-embedding-3-small';
  // As pasted from a console or written in an env file: a trailing slash failed as "Failed to parse DNS address
  // dns:host:19530/", a space as "host name not found".
  if (config.milvus.address !== undefined) config.milvus.address = config.milvus.address.trim().replace(/\/+$/, '');
  if (config.store === 'milvus' && !config.milvus.address) {
    throw new ConfigError('the milvus store needs an address: --milvus-address host:19530 or CODECTX_MILVUS_ADDRESS');
  }
  // Named without the address: messages and logs show the address, and `http://root:secret@host` was printed whole
  // (and failed as "host name not found", as the client does not read credentials from it).
  if (config.milvus.address !== undefined && CREDENTIALS_IN_ADDRESS.test(config.milvus.address)) {
    throw new ConfigError(
      'the Milvus address holds credentials (user:password@); give only host:port there, and the credentials in CODECTX_MILVUS_TOKEN (user:password or an API key) or CODECTX_MILVUS_USERNAME and CODECTX_MILVUS_PASSWORD',
    );
  }
  return config;
}

/**
 * A Milvus address is host:port or a URL with no user info, so an `@` anywhere is credentials: `user:password@`
 * matched only up to a `/`, and a password holding one (`root:pa/ss@host`) was printed whole.
 */
const CREDENTIALS_IN_ADDRESS = /@/;

/** `name` in a codebase's codectx.config.json: what its shared index is called on every machine. */
export function projectName(root: string): string | undefined {
  return readProjectConfig(root).name;
}

function readProjectConfig(root: string): ConfigFile {
  return projectConfigFile(root) ?? {};
}

/** A folder's own codectx.config.json, checked; undefined when it has none. */
export function projectConfigFile(root: string): ConfigFile | undefined {
  const path = join(root, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // Taken for no file, a folder of that name (or a file codectx may not read) left every setting at its default.
    if (code === 'EISDIR') throw new ConfigError(`${path} is a folder; codectx reads its settings from a file of that name`);
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseConfigFile(text, path);
}

function parseStore(value: unknown, source: string): StoreKind {
  if (isStoreKind(value)) return value;
  throw new ConfigError(`unknown store "${String(value)}" (from ${source}); use ${STORE_KINDS.join(' or ')}`);
}

function parseProvider(value: unknown): EmbeddingSettings['provider'] {
  if (value === 'local' || value === 'openai') return value;
  throw new ConfigError(`unknown embedding provider "${String(value)}"; use local or openai`);
}

/**
 * Converted here, so the message shows the value as given (converted by the caller, "abc" was shown as `got null`).
 * Plain decimal digits, as the README says of every number: Number() took "1.5", "1e3" and "" (as 0).
 */
function parsePositive(value: string | number, name: string): number {
  const parsed = /^[0-9]+$/.test(String(value)) ? Number(value) : NaN;
  if (Number.isSafeInteger(parsed) && parsed > 0) return parsed;
  throw new ConfigError(`${name} must be a positive integer, got ${JSON.stringify(String(value))}`);
}

function assignDefined<T extends object>(target: T, values: Partial<T>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== '') (target as Record<string, unknown>)[key] = value;
  }
}
