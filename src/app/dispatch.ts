import { connectDaemon, DaemonCallError, DaemonGoneError, type DaemonClient } from '../daemon/client.js';

/**
 * Daemon answers that mean "this daemon cannot serve the call", not "the call failed": another protocol version,
 * a configuration resolved differently (flags, CODECTX_* variables), a method it does not have. The caller then
 * does the work in its own process. This is the one fallback policy of every front-end.
 */
const SERVE_IT_YOURSELF = new Set(['version', 'config-mismatch', 'unknown-method']);

/**
 * Runs `call` against the running daemon; undefined when none runs, it went away mid-call (or did not answer in
 * time: `onGone` hears why), or it cannot serve the call (see above). Errors of the work itself (no index, bad
 * query) are thrown as they are, typed.
 */
export async function throughDaemon<T>(call: (client: DaemonClient) => Promise<T>, onGone?: (why: string) => void): Promise<T | undefined> {
  const client = await connectDaemon();
  if (!client) return undefined;
  try {
    return await call(client);
  } catch (error) {
    if (error instanceof DaemonGoneError) {
      onGone?.(error.message);
      return undefined;
    }
    if (error instanceof DaemonCallError && SERVE_IT_YOURSELF.has(error.code)) return undefined;
    throw error;
  } finally {
    client.close();
  }
}
