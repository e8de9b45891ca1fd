/** SIGTERM is what `timeout`, systemd and CI cancellation send: it stopped the run with no word and no cache flush. */
const STOPPING_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Ctrl-C or SIGTERM stops the run at its next check (between files or embedding calls): what is stored stays,
 * recorded in the manifest, the vectors embedded are flushed to the cache, and the next run goes on from there. A
 * second signal exits at once. When the daemon does the work, this process only hangs up (DaemonLeftRunning) and
 * the daemon goes on.
 */
export function interruptOnSignals(clearLine: () => void): { signal: AbortSignal; exitCode: () => number; dispose: () => void } {
  const controller = new AbortController();
  let exitCode: number = STOPPING_SIGNALS.SIGINT;
  const handlers = Object.entries(STOPPING_SIGNALS).map(([name, code]) => {
    const onSignal = () => {
      if (controller.signal.aborted) {
        clearLine();
        process.stderr.write('codectx: interrupted\n');
        // Dies of the signal itself, as without a handler: process.exit() tore the process down under a native
        // LanceDB or ONNX call still running and aborted it ("terminate called after throwing … Napi::Error", 134).
        dispose();
        process.kill(process.pid, name);
        return;
      }
      exitCode = code;
      controller.abort();
    };
    process.on(name, onSignal);
    return () => process.off(name, onSignal);
  });
  const dispose = () => handlers.forEach((off) => off());
  return { signal: controller.signal, exitCode: () => exitCode, dispose };
}

/** What the run does when its reader goes away (EPIPE), instead of ending there; see whenOutputCloses. */
let outputClosedHandler: (() => void) | undefined;

/**
 * While set, a reader that stops early (`ask … | head`) calls `handler` rather than ending the run at once: `ask`
 * stops the model's answer and records the part the provider bills, then ends quietly. Unset with undefined.
 */
export function whenOutputCloses(handler: (() => void) | undefined): void {
  outputClosedHandler = handler;
}

/** For the CLI's EPIPE handler: whether a command took the closed output over (else the run ends there). */
export function outputClosedHandled(): boolean {
  outputClosedHandler?.();
  return outputClosedHandler !== undefined;
}
