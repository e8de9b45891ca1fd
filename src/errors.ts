/**
 * Typed errors. Everything codectx expects to go wrong (bad input, missing index, unreachable server) is a
 * CodectxError with a one-line message a user can act on; the CLI prints that line and exits with `exitCode`.
 * Anything else is a bug and is shown in full only with --verbose.
 */
export class CodectxError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The user asked for something that cannot work as given (bad flag value, missing path). Exit 2 like usage errors. */
export class UsageError extends CodectxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 2, options);
  }
}

/** Configuration is present but wrong (unknown store, unparsable config file, missing API key variable). */
export class ConfigError extends CodectxError {}

/** The codebase has no index yet, or its index was built with another model/store/chunker version. */
export class IndexStateError extends CodectxError {}

/** The index's own files (metadata, manifest) cannot be read: only a forced rebuild or `codectx clear` gets past it. */
export class DamagedIndexError extends IndexStateError {}

/** The codebase has no index at all (front-ends word the remedy their own way: a command, an MCP tool). */
export class NotIndexedError extends IndexStateError {}

/** A store (LanceDB, Milvus) failed or is unreachable. */
export class StoreError extends CodectxError {}

/** An embedding provider failed (model files, remote endpoint, wrong key). */
export class EmbeddingError extends CodectxError {}

/** A model provider call failed; `retryable` marks rate limits, quota, server errors and unreadable answers: they trigger the fallback chain. */
export class ProviderError extends CodectxError {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, 1, options);
  }
}

/**
 * The endpoint could not be reached, or dropped the connection before any text came (refused, unknown host, reset).
 * Retryable in that the fallback chain goes on, but the same endpoint is not retried: a dead local server stays
 * dead for the seconds a backoff would make the user wait, and another provider may well be up.
 */
export class ConnectionFailedError extends ProviderError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, undefined, options);
  }
}

/** One readable line for any thrown value, for the CLI boundary and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
