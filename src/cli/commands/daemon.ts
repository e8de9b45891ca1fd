import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, watchFile, unwatchFile } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { codectxHome, makePrivateDir, PRIVATE_FILE_MODE } from '../../config/paths.js';
import { Daemon } from '../../daemon/daemon.js';
import { connectDaemon, unreachableBecause, type DaemonClient } from '../../daemon/client.js';
import { logEntry, rotatingLog, type Logger } from '../../daemon/logger.js';
import { daemonLockPath, daemonLogPath, daemonOutputPath, daemonSocketPath } from '../../daemon/paths.js';
import type { CodebaseStatus, DaemonStatus } from '../../daemon/protocol.js';
import { CodectxError, describeError } from '../../errors.js';
import { lockHolder, processAlive } from '../../index/lock.js';
import { parseCount } from '../shared.js';
import { packageVersion } from '../../version.js';
import { ago, count, elapsed, printable } from '../../text.js';

/** A first start loads nothing heavy before listening, but a cold disk can still be slow. */
const START_TIMEOUT_MS = 60_000;
/** Stopping waits for the current index run to reach a batch boundary. */
const STOP_TIMEOUT_MS = 60_000;
/** A daemon listens moments after taking its lock: one that holds it longer without answering cannot be reached. */
const LISTEN_AFTER_LOCK_MS = 3_000;
/** `daemon status` with no daemon, as `systemctl status` of a stopped unit: scripts can tell. */
const NOT_RUNNING_EXIT = 3;

export function registerDaemonCommand(program: Command): void {
  const daemon = program.command('daemon').description('the background indexer: keeps every registered codebase indexed as files change');

  daemon
    .command('start')
    .description('start the daemon in the background (does nothing if it already runs)')
    .action(async () => {
      const { pid, alreadyRunning, socket } = await startDaemon();
      process.stdout.write(
        alreadyRunning
          ? `codectx daemon is already running (pid ${pid}, socket ${socket})\n`
          : `codectx daemon started (pid ${pid}, socket ${socket}, log ${daemonLogPath()})\n`,
      );
    });

  daemon
    .command('stop')
    .description('stop the daemon cleanly (finishes or aborts the current index run)')
    .action(async () => {
      const client = await connectDaemon(undefined, { warn: false });
      if (!client) {
        // Its socket may be gone (a tmp cleaner) or refused while it runs: the lock still names it, checked as ours.
        const holder = await lockHolder(daemonLockPath());
        if (holder === undefined) {
          process.stdout.write('codectx daemon is not running\n');
          return;
        }
        if (!holder.checked) throw unreachable(holder);
        const why = unreachableBecause();
        process.kill(holder.pid, 'SIGTERM');
        await stopped(holder.pid);
        process.stdout.write(`codectx daemon stopped (pid ${holder.pid}, signalled: ${why})\n`);
        return;
      }
      const { pid } = await client.ping();
      await client.stop();
      client.close();
      await stopped(pid);
      process.stdout.write(`codectx daemon stopped (pid ${pid})\n`);
    });

  daemon
    .command('status')
    .description('show the daemon and every codebase it serves: state, files, chunks, queue, latency, errors (exit 3 when no daemon runs)')
    .option('--json', 'print as JSON')
    .action(async (flags: { json?: boolean }) => {
      const client = await connectDaemon(undefined, { warn: false });
      if (!client) {
        const holder = await lockHolder(daemonLockPath());
        if (holder !== undefined) throw unreachable(holder);
        process.stdout.write(flags.json ? `${JSON.stringify({ running: false })}\n` : 'codectx daemon is not running\n');
        process.exitCode = NOT_RUNNING_EXIT;
        return;
      }
      const status = await withClient(client, () => client.status());
      process.stdout.write(flags.json ? `${JSON.stringify({ running: true, ...status }, null, 2)}\n` : formatStatus(status));
    });

  daemon
    .command('logs')
    .description('print the end of the daemon log')
    .option('-n, --lines <n>', 'number of lines', '50')
    .option('-f, --follow', 'keep printing new lines')
    .action(async (flags: { lines: string; follow?: boolean }) => {
      const path = daemonLogPath();
      const lines = parseCount(flags.lines, '--lines', { min: 1 });
      const text = readLog(path, 0);
      const tail = text.split('\n').filter(Boolean).slice(-lines);
      process.stdout.write(tail.length > 0 ? `${tail.join('\n')}\n` : `(no log yet at ${path})\n`);
      if (flags.follow) await followLog(path, Buffer.byteLength(text));
    });

  daemon
    .command('run')
    .description('run the daemon in the foreground (what `start` launches; for service managers)')
    .action(async () => {
      makePrivateDir(codectxHome());
      const log = teeToTerminal(rotatingLog(daemonLogPath()));
      const instance = new Daemon({ version: packageVersion(), log });
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void instance.stop(signal));
      process.on('unhandledRejection', (reason) => log.error(`unhandled rejection: ${describeError(reason)}`, (reason as Error)?.stack));
      process.on('uncaughtException', (error) => {
        log.error(`uncaught exception, shutting down: ${describeError(error)}`, error.stack);
        void instance.stop('uncaught exception').finally(() => process.exit(1));
      });
      await instance.run();
      // Native libraries may hold threads open after a clean close: do not linger as a zombie daemon.
      setTimeout(() => process.exit(0), 2000).unref();
    });
}

/**
 * Starts the daemon as a detached process and waits until it answers on its socket. When another start won
 * the race (or one was already running), reports that daemon instead.
 */
export async function startDaemon(): Promise<{ pid: number; socket: string; alreadyRunning: boolean }> {
  const running = await connectDaemon(undefined, { warn: false });
  if (running) {
    const { pid } = await withClient(running, () => running.ping());
    return { pid, socket: daemonSocketPath(), alreadyRunning: true };
  }
  makePrivateDir(codectxHome());
  const output = openSync(daemonOutputPath(), 'w', PRIVATE_FILE_MODE);
  const main = fileURLToPath(new URL('../main.js', import.meta.url));
  // glibc tuning for a long-lived process: native threads (LanceDB, ONNX) each get a malloc arena, and a
  // fragmented arena never shrinks, so two arenas only (resident after queries ~420 → ~310 MB). A fixed mmap
  // threshold (4 MB, and 128 KB before it) was tried for the memory indexing leaves behind, but it turns off glibc's
  // own tuning and every query paid for it: through the daemon at 8.4k chunks p50 26 → 40 ms (2026-12-05).
  const env = { MALLOC_ARENA_MAX: '2', ...process.env };
  const child = spawn(process.execPath, [main, 'daemon', 'run'], { detached: true, stdio: ['ignore', output, output], env });
  closeSync(output);
  let exited = false;
  child.once('exit', () => (exited = true));
  child.unref();

  const deadline = Date.now() + START_TIMEOUT_MS;
  let holderSeenAt: number | undefined;
  while (Date.now() < deadline) {
    const client = await connectDaemon(undefined, { warn: false });
    if (client) {
      const { pid } = await withClient(client, () => client.ping());
      // Another start won: ours waits out the lock's patience and, if that daemon is stopped meanwhile, took over
      // and ran on after `daemon stop` (three starts at once, then a stop, left one running).
      if (pid !== child.pid && !exited) child.kill('SIGTERM');
      return { pid, socket: daemonSocketPath(), alreadyRunning: pid !== child.pid };
    }
    if (exited) {
      // Another daemon holds the lock: one started at the same moment answers soon; one whose socket is gone never.
      const holder = await lockHolder(daemonLockPath());
      if (holder === undefined) {
        const lines = readLog(daemonOutputPath(), 0).trim().split('\n');
        throw new CodectxError(`the daemon exited at start: ${lines.at(-1) || 'no output'} (see ${daemonOutputPath()})`);
      }
      holderSeenAt ??= Date.now();
      if (Date.now() - holderSeenAt > LISTEN_AFTER_LOCK_MS) throw unreachable(holder);
    }
    await sleep(100);
  }
  throw new CodectxError(`the daemon (pid ${child.pid}) did not answer within ${START_TIMEOUT_MS / 1000}s; see ${daemonLogPath()}`);
}

/** A daemon that holds the lock but answers on no socket this client will use. */
function unreachable(holder: { pid: number; checked: boolean }): CodectxError {
  const lock = daemonLockPath();
  if (holder.checked) return new CodectxError(`a daemon (pid ${holder.pid}) holds ${lock} but ${unreachableBecause()}; \`codectx daemon stop\` stops it`);
  // Only the pid could be checked (a lock of an older codectx, or no /proc): it may be another program by now.
  return new CodectxError(
    `process ${holder.pid} holds ${lock} but ${unreachableBecause()}; if it is a codectx daemon, \`kill ${holder.pid}\` stops it, else delete ${lock}`,
  );
}

/** Waits for a daemon asked to stop to exit. */
async function stopped(pid: number): Promise<void> {
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (processAlive(pid)) {
    if (Date.now() > deadline) throw new CodectxError(`the daemon (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000}s`);
    await sleep(100);
  }
}

async function withClient<T>(client: DaemonClient, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } finally {
    client.close();
  }
}

function formatStatus(status: DaemonStatus): string {
  const lines = [
    `daemon:    pid ${status.pid}, codectx ${status.version}, up ${elapsed(status.startedAt)}, ` +
      `${Math.round(status.rssBytes / 1024 / 1024)} MB resident, ${count(status.runtimes, 'runtime')} loaded, ${count(status.searches, 'search', 'searches')} served`,
    `socket:    ${status.socket}`,
  ];
  if (status.codebases.length === 0) {
    lines.push('codebases: none registered (`codectx add <path>`)');
    return `${lines.join('\n')}\n`;
  }
  const header = ['codebase', 'state', 'files', 'chunks', 'queue', 'p50', 'last event', 'last error'];
  const rows = status.codebases.map((codebase) => [
    printable(codebase.root),
    codebase.waiting ? `${codebase.state}, ${codebase.waiting}` : codebase.progress ? `${codebase.state} ${runProgress(codebase.progress)}` : codebase.state,
    String(codebase.files),
    String(codebase.chunks),
    String(codebase.queue),
    codebase.p50LatencyMs === undefined ? '-' : `${codebase.p50LatencyMs} ms`,
    codebase.lastEventAt ? ago(codebase.lastEventAt) : '-',
    codebase.lastError ?? '-',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  lines.push('', format(header), ...rows.map(format));
  return `${lines.join('\n')}\n`;
}

/** `(counting 120/236 files)` while a run reads what changed, then `(49/236 files)` as they are stored. */
function runProgress({ phase, done, total }: NonNullable<CodebaseStatus['progress']>): string {
  return phase === 'count' ? `(counting ${done}/${total} files)` : `(${done}/${total} files)`;
}

function readLog(path: string, from: number): string {
  try {
    return readFileSync(path).subarray(from).toString('utf8');
  } catch {
    return '';
  }
}

/** Prints what is appended to the log until interrupted; starts over when the log rotates (it shrinks). */
async function followLog(path: string, offset: number): Promise<void> {
  let position = offset;
  watchFile(path, { interval: 500 }, () => {
    const size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
    if (size < position) position = 0;
    if (size === position) return;
    process.stdout.write(readLog(path, position));
    position = size;
  });
  await new Promise<void>((resolve) => process.once('SIGINT', resolve));
  unwatchFile(path);
}

/** In a terminal, `daemon run` also shows its log lines as they happen. */
function teeToTerminal(log: Logger): Logger {
  if (!process.stderr.isTTY) return log;
  return {
    info: (message) => {
      log.info(message);
      process.stderr.write(`${logEntry(message)}\n`);
    },
    error: (message, stack) => {
      log.error(message, stack);
      process.stderr.write(`error: ${logEntry(message, stack)}\n`);
    },
  };
}
