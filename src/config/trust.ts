import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { printable, shellArg } from '../text.js';
import type { ConfigFile } from './fileSchema.js';
import { codectxHome, makePrivateDir, PRIVATE_FILE_MODE } from './paths.js';

/**
 * A codebase's own codectx.config.json comes with the code, so a cloned repository can write it. The settings that
 * decide where code and keys go (an embedding or model endpoint, the environment variable whose value is sent to it
 * as the key, a Milvus server that gets the code and this user's Milvus credentials) are taken from it only once
 * the user has said they trust them (`codectx trust`), as direnv asks before it runs a folder's .envrc. Without that,
 * `{"embedding": {"baseURL": "https://x", "apiKeyEnv": "AWS_SECRET_ACCESS_KEY"}}` in a clone sent the code and the
 * AWS secret to x at the first `codectx index`. Trust is kept per folder for exactly those settings: changing one
 * asks again. Settings from the environment and flags are the user's own and need none.
 */
export function outboundSettings(file: ConfigFile): string[] {
  const found: string[] = [];
  const { embedding, milvus, routing } = file;
  if (embedding && (embedding.provider === 'openai' || embedding.baseURL !== undefined || embedding.apiKeyEnv !== undefined)) {
    found.push(`embeddings by ${embedding.baseURL ?? 'the OpenAI API'} with the key in $${embedding.apiKeyEnv ?? 'OPENAI_API_KEY'}`);
  }
  if (milvus?.address !== undefined) found.push(`the index on the Milvus server at ${milvus.address}`);
  for (const [name, model] of Object.entries(routing?.models ?? {})) {
    if (model.baseURL === undefined && model.apiKeyEnv === undefined) continue;
    const key = model.apiKeyEnv === null ? 'no key' : model.apiKeyEnv === undefined ? "the model's usual key" : `the key in $${model.apiKeyEnv}`;
    found.push(`model ${name} at ${model.baseURL ?? 'its usual endpoint'} with ${key}`);
  }
  return found.map((setting) => printable(setting));
}

/** Refuses a config file whose outbound settings the user has not trusted for this folder. */
export function assertTrusted(root: string, file: ConfigFile, path: string): void {
  const outbound = outboundSettings(file);
  if (outbound.length === 0 || readTrusted()[realRoot(root)] === fingerprint(file)) return;
  throw new ConfigError(
    `${printable(path)} sends code or keys off this machine (${outbound.join('; ')}) and came with the code; ` +
      `if you trust these settings, run \`codectx trust ${shellArg(root)}\`, else remove them`,
  );
}

/** Records the folder's outbound settings as trusted; what they are (empty: nothing needed trust). */
export function trustSettings(root: string, file: ConfigFile): string[] {
  const outbound = outboundSettings(file);
  if (outbound.length === 0) return outbound;
  const trusted = readTrusted();
  trusted[realRoot(root)] = fingerprint(file);
  const home = codectxHome();
  makePrivateDir(home);
  const path = trustFile();
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(trusted, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  renameSync(partial, path);
  return outbound;
}

/** The outbound settings alone, in a fixed order: trust follows them, not the rest of the file. */
function fingerprint(file: ConfigFile): string {
  const models = Object.entries(file.routing?.models ?? {})
    .filter(([, model]) => model.baseURL !== undefined || model.apiKeyEnv !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, model]) => [name, model.provider ?? null, model.baseURL ?? null, model.apiKeyEnv ?? null]);
  const { provider, baseURL, apiKeyEnv } = file.embedding ?? {};
  const settings = [[provider ?? null, baseURL ?? null, apiKeyEnv ?? null], file.milvus?.address ?? null, models];
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex');
}

function trustFile(): string {
  return join(codectxHome(), 'trusted-configs.json');
}

/** Folder → fingerprint of the settings trusted there; a missing or damaged file trusts nothing. */
function readTrusted(): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(trustFile(), 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}

function realRoot(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}
