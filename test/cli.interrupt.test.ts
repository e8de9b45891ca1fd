import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readLedger } from '../src/route/ledger.js';
import { serversClosedAfterEach } from './helpers/chatServer.js';
import { PROJECT_ROOT, startCli } from './helpers/cli.js';
import { writeTrustedConfig } from './helpers/trustedConfig.js';

/** A process that stops on signals as `codectx index` does, and is sent `signals` one after another. */
function signalled(signals: NodeJS.Signals[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const module = pathToFileURL(join(PROJECT_ROOT, 'dist', 'cli', 'interrupt.js')).href;
  const script = `
    const { interruptOnSignals } = await import(${JSON.stringify(module)});
    const interrupt = interruptOnSignals(() => {});
    interrupt.signal.addEventListener('abort', () => process.stderr.write('stopping\\n'));
    const send = ${JSON.stringify(signals)};
    for (const [i, name] of send.entries()) setTimeout(() => process.kill(process.pid, name), 100 * (i + 1));
    setTimeout(() => process.exit(interrupt.exitCode()), 100 * (send.length + 2));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

describe('index stopped by signals', () => {
  it('the first signal asks the run to stop and sets the exit status', async () => {
    expect(await signalled(['SIGTERM'])).toEqual({ code: 143, signal: null, stderr: 'stopping\n' });
  });

  // process.exit() on the second signal tore the process down under a running native LanceDB or ONNX call, which
  // aborted it ("terminate called after throwing an instance of 'Napi::Error'", exit 134).
  it('a second signal ends the process by that signal, without running exit handlers', async () => {
    expect(await signalled(['SIGINT', 'SIGINT'])).toEqual({ code: null, signal: 'SIGINT', stderr: 'stopping\ncodectx: interrupted\n' });
    expect(await signalled(['SIGINT', 'SIGTERM'])).toEqual({ code: null, signal: 'SIGTERM', stderr: 'stopping\ncodectx: interrupted\n' });
  });
});

const server = serversClosedAfterEach();

/** A project whose kimi-k2 is the loopback server at `baseURL`, and a home for the run. */
function loopbackProject(baseURL: string): { project: string; home: string } {
  const project = mkdtempSync(join(tmpdir(), 'codectx-ask-interrupt-'));
  const home = join(project, 'home');
  writeTrustedConfig(project, { routing: { models: { 'kimi-k2': { baseURL, apiKeyEnv: null } } } }, home);
  return { project, home };
}

describe('ask stopped by Ctrl-C mid-answer', () => {
  // Seen: the process died of the signal with the line left open, and the part of the answer the provider bills
  // never reached the ledger, so stats and routing.budget did not count it.
  it('ends the line, exits 130 and records the part shown as an incomplete call', async () => {
    const kimi = await server({ kind: 'stall', pieces: ['Use ', 'darker'] });
    const { project, home } = loopbackProject(kimi.baseURL);
    const { child, done } = startCli(['ask', 'make the button darker', '--no-context', '--model', 'kimi', '--path', project], { home });
    let shown = '';
    child.stdout!.on('data', (data: Buffer) => {
      shown += data.toString();
      if (shown === 'Use darker') child.kill('SIGINT');
    });
    const { code, stdout, stderr } = await done;
    expect(code).toBe(130);
    expect(stdout).toBe('Use darker\n');
    expect(stderr).toMatch(/\ncodectx: interrupted mid-answer after 10 characters\n$/);
    expect(readLedger(undefined, join(home, 'usage.jsonl'))).toMatchObject({ records: [{ model: 'kimi-k2', incomplete: true }], malformed: 0 });
  }, 60_000);
});

describe('ask whose reader stops early (| head)', () => {
  // Seen: EPIPE ended the run at once, status 0, and the part of the answer the provider bills was not in the ledger.
  it('stops the answer, records the part sent as incomplete, and ends quietly with status 0', async () => {
    const kimi = await server({ kind: 'trickle', piece: 'darker ', everyMs: 50 });
    const { project, home } = loopbackProject(kimi.baseURL);
    const { child, done } = startCli(['ask', 'make the button darker', '--no-context', '--model', 'kimi', '--path', project], { home });
    child.stdout!.once('data', () => child.stdout!.destroy());
    const { code, signal, stderr } = await done;
    expect([code, signal]).toEqual([0, null]);
    expect(stderr).not.toMatch(/error|interrupted/);
    expect(readLedger(undefined, join(home, 'usage.jsonl'))).toMatchObject({ records: [{ model: 'kimi-k2', incomplete: true }], malformed: 0 });
  }, 60_000);
});
