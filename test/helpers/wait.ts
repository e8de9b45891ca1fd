/**
 * A `waitFor(what, condition)` for a test file: polls every 250 ms until `condition` holds, and fails naming `what`
 * once `timeoutMs` passed (the file's own bound for real processes).
 */
export function poller(timeoutMs: number): (what: string, condition: () => Promise<boolean>) => Promise<void> {
  return async (what, condition) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
}
