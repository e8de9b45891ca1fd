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
  const { embedding, milvus, models } = outbound(file);
  const found: string[] = [];
  if (embedding.provider === 'openai' || embedding.baseURL !== null || embedding.apiKeyEnv !== null) {
    found.push(`embeddings by ${embedding.baseURL ?? 'the OpenAI API'} with the key in $${embedding.apiKeyEnv ?? 'OPENAI_API_KEY'}`);
  }
  if (milvus !== null) found.push(`the index on the Milvus server at ${milvus}`);
  for (const { name, baseURL, apiKeyEnv } of models) {
    const key = apiKeyEnv === null ? 'no key' : apiKeyEnv === undefined ? "the model's usual key" : `the key in $${apiKeyEnv}`;
    found.push(`model ${name} at ${baseURL ?? 'its usual endpoint'} with ${key}`);
  }
  return found.map((setting) => printable(setting));
}

/**
 * The settings that say where code and keys go, and nothing else of the file: what `outboundSettings` shows and
 * what trust is recorded for, from one reading, so a setting shown is a setting that asks again when it changes.
 */
function outbound(file: ConfigFile) {
  const { provider = null, baseURL = null, apiKeyEnv = null } = file.embedding ?? {};
  const models = Object.entries(file.routing?.models ?? {})
    .filter(([, model]) => model.baseURL !== undefined || model.apiKeyEnv !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    // apiKeyEnv keeps undefined (the model's usual key) apart from null (no key): in the fingerprint a missing
    // field is not a null one, so a file that drops `"apiKeyEnv": null` is asked about again.
    .map(([name, model]) => ({ name, provider: model.provider ?? null, baseURL: model.baseURL ?? null, apiKeyEnv: model.apiKeyEnv }));
  return { embedding: { provider, baseURL, apiKeyEnv }, milvus: file.milvus?.address ?? null, models };
}

/** Refuses a config file whose outbound settings the user has not trusted for this folder. */
export function assertTrusted(root: string, file: ConfigFile, path: string): void {
  const shown = outboundSettings(file);
  if (shown.length === 0 || readTrusted()[realRoot(root)] === fingerprint(file)) return;
  throw new ConfigError(
    `${printable(path)} sends code or keys off this machine (${shown.join('; ')}) and came with the code; ` +
      `if you trust these settings, run \`codectx trust ${shellArg(root)}\`, else remove them`,
  );
}

/** Records the folder's outbound settings as trusted; what they are (empty: nothing needed trust). */
export function trustSettings(root: string, file: ConfigFile): string[] {
  const shown = outboundSettings(file);
  if (shown.length === 0) return shown;
  const trusted = readTrusted();
  trusted[realRoot(root)] = fingerprint(file);
  const home = codectxHome();
  makePrivateDir(home);
  const path = trustFile();
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(trusted, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  renameSync(partial, path);
  return shown;
}

/** The outbound settings alone: trust follows them, not the rest of the file. */
function fingerprint(file: ConfigFile): string {
  return createHash('sha256').update(JSON.stringify(outbound(file))).digest('hex');
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
