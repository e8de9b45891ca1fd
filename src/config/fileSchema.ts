import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ignorePatternProblem } from '../files/ignoreRules.js';
import { contextSection, envVarName, hookSection, routingSection } from './sections.js';

/**
 * codectx.config.json, checked once and whole when it is read: unknown keys are refused with the nearest known
 * one (a misspelt `embeding` silently used the defaults), values are checked for type and bounds, and a JSON
 * syntax error names its line and column. The sections routing, pre-search and the hook own are in sections.ts.
 */
/** How a Milvus vector index is built (when its collection is created) and searched (ef, on every search). */
const milvusIndex = z.strictObject({
  type: z.enum(['HNSW', 'HNSW_SQ8']).optional(),
  M: z.int().min(2).max(2048).optional(),
  efConstruction: z.int().min(8).max(65_535).optional(),
  ef: z.int().min(1).max(65_535).optional(),
});

const milvus = z.strictObject({
  address: z.string().min(1).optional(),
  token: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  database: z.string().min(1).optional(),
  index: milvusIndex.optional(),
});

const embedding = z.strictObject({
  provider: z.enum(['local', 'openai']).optional(),
  variant: z.enum(['int8', 'fp32']).optional(),
  model: z.string().min(1).optional(),
  baseURL: z.url().optional(),
  apiKeyEnv: envVarName.optional(),
  dimensions: z.int().positive().optional(),
  batchSize: z.int().positive().max(2048).optional(),
  concurrency: z.int().min(1).max(32).optional(),
});

/** The chunker's floor, and the documented ceiling: longer chunks dilute a search hit past usefulness. */
export const CHUNK_TOKENS_RANGE = { min: 16, max: 400 } as const;

/** The vector stores codectx can use: the config file, CODECTX_STORE and --store name one of these. */
export const STORE_KINDS = ['lancedb', 'milvus'] as const;

export const configFileSchema = z.strictObject({
  $schema: z.string().optional(),
  store: z.enum(STORE_KINDS).optional(),
  milvus: milvus.optional(),
  embedding: embedding.optional(),
  maxFileBytes: z.int().positive().optional(),
  chunkTokens: z.int().min(CHUNK_TOKENS_RANGE.min).max(CHUNK_TOKENS_RANGE.max).optional(),
  ignore: z
    .array(
      z.string().superRefine((pattern, issues) => {
        const problem = ignorePatternProblem(pattern);
        if (problem) issues.addIssue({ code: 'custom', message: IGNORE_PATTERN_PROBLEM[problem](pattern) });
      }),
    )
    .optional(),
  model: z.string().min(1).optional(),
  routing: routingSection.optional(),
  context: contextSection.optional(),
  hook: hookSection.optional(),
  /** The index's name wherever the codebase is checked out (a shared Milvus index); else the git remote, else the path. */
  name: z.string().trim().min(1).max(200).optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;

/** Unclosed "[": shown as written in the JSON file, as -g refuses such a glob (it would match nothing). */
const IGNORE_PATTERN_PROBLEM = {
  'unclosed-bracket': (pattern: string) => `is ${JSON.stringify(pattern)}: its "[" is not closed by "]", so it would match nothing; use "\\\\[" for a literal bracket`,
  'trailing-backslash': (pattern: string) => `"${pattern}" is not a pattern (a trailing "\\" escapes nothing)`,
};

/** Parses the file's text; every problem is a one-line ConfigError naming the file and where in it. */
export function parseConfigFile(text: string, path: string): ConfigFile {
  let parsed: unknown;
  // Windows editors (Notepad) start a UTF-8 file with a byte-order mark, which JSON.parse refuses.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}${jsonErrorPlace(text, (error as Error).message)} is not valid JSON: ${firstLine((error as Error).message)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`${path} must hold a JSON object`);
  const result = configFileSchema.safeParse(parsed);
  if (result.success) return result.data;
  throw new ConfigError(`${path}: ${describeIssue(result.error.issues[0]!)}`);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(issue.path);
    const key = issue.keys[0]!;
    const near = nearest(key, known);
    const name = where ? `${where}.${key}` : key;
    return `unknown setting "${name}"${near ? `; did you mean "${where ? `${where}.` : ''}${near}"?` : `; known: ${known.join(', ')}`}`;
  }
  return `"${where}" ${issue.message.replace(/^Invalid input: /, '')}`;
}

/** The keys the schema knows for the object at `path` (through optional, nullable, list and map levels). */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: unknown = configFileSchema;
  const steps = [...path];
  for (;;) {
    if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
      schema = schema.unwrap();
      continue;
    }
    const step = steps.shift();
    if (step === undefined) return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
    if (schema instanceof z.ZodObject) schema = schema.shape[String(step)];
    else if (schema instanceof z.ZodArray) schema = schema.element;
    else if (schema instanceof z.ZodRecord) schema = schema.valueType;
    else return [];
  }
}

/** The known key within edit distance 2 of `key` (case-insensitive), if any. */
function nearest(key: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** ":line:col" of a JSON.parse error (V8 reports a character position), or the end for truncated input. */
function jsonErrorPlace(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message)?.[1];
  const offset = position !== undefined ? Number(position) : /end of JSON input/.test(message) ? text.length : undefined;
  if (offset === undefined) return '';
  const before = text.slice(0, offset).split('\n');
  return `:${before.length}:${before.at(-1)!.length + 1}`;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!;
}
