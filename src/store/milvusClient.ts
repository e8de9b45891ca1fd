import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { describeError, StoreError } from '../errors.js';

export interface MilvusConnection {
  address: string;
  token?: string;
  username?: string;
  password?: string;
  database?: string;
}

// How long one call may take before the server counts as unreachable.
const CALL_TIMEOUT_MS = 30_000;
// How long connecting may take: a healthy server answers in milliseconds, and an unroutable address never does.
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * How stale a Bounded search may be (Milvus's default graceful time). A process that wrote more recently searches
 * Strong, so it reads its own writes; that is what Session consistency promises, but the Node SDK sends no
 * session timestamp, so Session would act as Eventually.
 */
export const BOUNDED_STALENESS_MS = 5_000;
/** Creating, indexing, loading and dropping a collection can take minutes on a busy server. */
export const DDL_TIMEOUT_MS = 300_000;

interface MilvusStatus {
  error_code?: string | number;
  code?: number;
  reason?: string;
}

/** Throws a StoreError when a Milvus response status is not a success (the SDK reports failures as data). */
export function ensureOk(status: MilvusStatus | undefined, what: string): void {
  if (status === undefined) return;
  const failed = (status.error_code !== undefined && status.error_code !== 'Success' && status.error_code !== 0) || (status.code ?? 0) !== 0;
  // Servers quote the expression under a parse error with a caret line: the first line says what failed.
  const reason = status.reason?.split('\n')[0];
  if (failed) throw new StoreError(`${what} failed: ${reason || `code ${status.code ?? status.error_code}`}`);
}

const AUTH_FAILURE = /UNAUTHENTICATED|PERMISSION_DENIED|auth|credential/i;

/**
 * The first line of what went wrong. Some SDK calls throw the server's status object itself rather than an Error
 * (createCollection on a database that does not exist): its reason is the message ("[object Object]" otherwise).
 */
function milvusError(error: unknown): string {
  if (error instanceof Error || typeof error !== 'object' || error === null) return describeError(error);
  const { reason, code } = error as MilvusStatus;
  return reason?.split('\n')[0] || `code ${String(code ?? (error as MilvusStatus).error_code)}`;
}

/** The one-line meaning of a gRPC failure: unreachable, refused credentials, or the raw message. */
function explain(address: string, error: unknown): string {
  const message = milvusError(error);
  if (/UNAVAILABLE|ECONNREFUSED|ENOTFOUND|DEADLINE_EXCEEDED|No connection established|failed to connect|timeout/i.test(message)) {
    return `Milvus at ${address} is unreachable or not answering (${message}); check --milvus-address and that the server is running`;
  }
  if (AUTH_FAILURE.test(message)) {
    return `Milvus at ${address} refused the credentials (${message}); check CODECTX_MILVUS_TOKEN or CODECTX_MILVUS_USERNAME/PASSWORD`;
  }
  return `Milvus at ${address}: ${message}`;
}

/** How an open handle gets its collection back: loaded again, or set up again (created, indexed, loaded). */
export interface CollectionRecovery {
  load: () => Promise<void>;
  setUp: () => Promise<void>;
}

/** Runs Milvus calls, turning transport and SDK errors into one StoreError line that names the server. */
export async function guardedMilvus<T>(address: string, what: string, call: () => Promise<T>, recovery?: CollectionRecovery): Promise<T> {
  try {
    try {
      return await call();
    } catch (error) {
      // A server restarted since this process loaded the collection has it released, and one recreated without its
      // data (or an admin's drop) has lost it: every later call of a long-lived process (the daemon) failed "in
      // state 'released'; call load()" or "collection … does not exist" until it was restarted too.
      const message = milvusError(error);
      const recover = NOT_LOADED.test(message) ? recovery?.load : MISSING.test(message) ? recovery?.setUp : undefined;
      if (!recover) throw error;
      await recover();
      return await call();
    }
  } catch (error) {
    const message = error instanceof StoreError ? `Milvus at ${address}: ${error.message}` : explain(address, `${what}: ${milvusError(error)}`);
    throw new StoreError(withoutCredentials(message, address), 1, { cause: error });
  }
}

/** Loads a collection for search and query: after it is set up, and again when the server released it. */
export async function loadCollection(client: MilvusClient, collection_name: string): Promise<void> {
  ensureOk(await client.loadCollection({ collection_name, timeout: DDL_TIMEOUT_MS }), 'loadCollection');
}

/**
 * A message with the address's user info (`user:password` of `http://user:password@host`) masked, there and in the
 * client's own text that quotes it. The config refuses such an address; this keeps logs safe from any other way in.
 */
export function withoutCredentials(message: string, address: string): string {
  const userInfo = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(.*)@/i.exec(address)?.[1];
  return userInfo ? message.split(userInfo).join('***') : message;
}

/** What Milvus (standalone, distributed, Lite) answers for a call on a collection that is not loaded. */
const NOT_LOADED = /not loaded|in state 'released'|call load\(\)/i;
/** What Milvus (standalone, distributed, Lite) answers for a call on a collection that does not exist. */
const MISSING = /collection not found|collection '[^']*' does not exist|can't find collection/i;

/** Why a server could not be reached, in a few words (the gRPC text is long and names internals). */
function unreachableReason(error: unknown): string {
  const message = milvusError(error);
  if (/Name resolution failed|ENOTFOUND|EAI_AGAIN/i.test(message)) return 'host name not found';
  if (/ECONNREFUSED/.test(message)) return 'connection refused';
  if (/ENETUNREACH|EHOSTUNREACH/.test(message)) return 'no route to host';
  if (/DEADLINE_EXCEEDED/.test(message)) return `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`;
  return message.replace(/^\d+ [A-Z_]+: /, '');
}

/** The server answers health checks as Milvus does, and says it is healthy. */
async function checkServer(client: MilvusClient, address: string): Promise<void> {
  await client.connectPromise;
  const health = await client.checkHealth();
  // Something that is not Milvus (an HTTP proxy answering 404, say) yields an empty response, not an error.
  if (typeof health?.isHealthy !== 'boolean') throw new Error('it answered, but not as a Milvus server');
  if (!health.isHealthy) {
    throw new StoreError(`Milvus at ${address} reports unhealthy: ${(health.reasons ?? []).join('; ') || 'no reason given'}`);
  }
}

/** A connected client and what it talks to. */
export interface MilvusSession {
  client: MilvusClient;
  /** Milvus Lite, whose quirks (primary key not returned, negated BM25 scores) need workarounds a server must not get. */
  lite: boolean;
}

/** The oldest server with the BM25 function, which the keyword side needs. */
const MIN_VERSION = [2, 5] as const;

/**
 * What getVersion says: "v2.5.4" (or "2.6.0-…") from a server, "milvus_lite-3.2.2" from Milvus Lite, whose API
 * is that of a current server. Throws the one-line reason when the server is too old.
 */
export function checkServerVersion(reported: string, address: string): { lite: boolean } {
  if (/^milvus[_-]lite/i.test(reported)) return { lite: true };
  const match = /^v?(\d+)\.(\d+)/.exec(reported.trim());
  // A build that does not say (a custom or cloud build) is given the benefit of the doubt.
  if (!match) return { lite: false };
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
    throw new StoreError(
      `Milvus at ${address} is version ${reported.replace(/^v/, '')}; codectx needs Milvus ${MIN_VERSION.join('.')} or later (BM25 full-text search)`,
    );
  }
  return { lite: false };
}

/**
 * Connects and checks the server answers (and accepts the credentials) before anything else is tried. Calls made
 * while connecting give up after CONNECT_TIMEOUT_MS, the later ones after CALL_TIMEOUT_MS: a call left waiting on
 * an address that never answers also keeps the process alive until its deadline.
 */
export async function connectMilvus(options: MilvusConnection): Promise<MilvusSession> {
  const { address } = options;
  let client: MilvusClient | undefined;
  try {
    client = new MilvusClient({
      address,
      token: options.token,
      username: options.username,
      password: options.password,
      database: options.database,
      timeout: CONNECT_TIMEOUT_MS,
      logLevel: 'error',
    });
    await checkServer(client, address);
    const { lite } = checkServerVersion((await client.getVersion()).version ?? '', address);
    client.timeout = CALL_TIMEOUT_MS;
    return { client, lite };
  } catch (error) {
    await client?.closeConnection().catch(() => undefined);
    const message =
      error instanceof StoreError
        ? error.message
        : AUTH_FAILURE.test(milvusError(error))
          ? explain(address, error)
          : `cannot reach Milvus at ${address}: ${unreachableReason(error)} (check --milvus-address and that the server is running)`;
    throw new StoreError(withoutCredentials(message, address), 1, { cause: error });
  }
}

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character (Milvus limits VarChar by bytes). */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8').subarray(0, maxBytes);
  // Dropping a partial trailing character: decoding turns it into U+FFFD, which we strip.
  return bytes.toString('utf8').replace(/\uFFFD+$/, '');
}
