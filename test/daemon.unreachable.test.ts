import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, runCli, startCli } from './helpers/cli.js';
import { processAlive as alive } from '../src/index/lock.js';
import { poller } from './helpers/wait.js';

const WAIT_MS = 30_000;
const waitFor = poller(WAIT_MS);
const isRoot = process.getuid?.() === 0;
const hasProc = existsSync('/proc/self/stat');

/** `daemon status`, `stop` and `start` when the lock names a process but no socket reaches it, or names none. */
describe('the daemon commands by the daemon lock', () => {
  let home: string;
  const cli = (args: string[], env?: NodeJS.ProcessEnv) => runCli(args, { home, env });
  const children: ChildProcess[] = [];
  const pids = new Set<number>();

  beforeEach(async () => {
    home = join(await mkdtemp(join(tmpdir(), 'codectx-unreachable-')), 'home');
    await mkdir(home, { recursive: true });
  });
  afterEach(async () => {
    await cli(['daemon', 'stop']);
    for (const child of children.splice(0)) child.kill('SIGKILL');
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone: the normal case.
      }
    }
    pids.clear();
  });

  const start = async () => {
    const result = await cli(['daemon', 'start']);
    expect(result.code, result.stderr).toBe(0);
    const pid = Number(/pid (\d+)/.exec(result.stdout)?.[1]);
    pids.add(pid);
    return pid;
  };

  /** A process that took the daemon lock as a daemon does, and never listens: a daemon whose socket is gone. */
  const lockTaker = async (): Promise<number> => {
    const lock = pathToFileURL(join(PROJECT_ROOT, 'dist', 'index', 'lock.js')).href;
    const script = `const { acquireLock } = await import(${JSON.stringify(lock)}); await acquireLock(${JSON.stringify(join(home, 'daemon.lock'))}, 'the codectx daemon'); process.stdout.write('held\\n'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the lock taker exited with ${code}`)));
    });
    return child.pid!;
  };

  // Scripts could not tell "no daemon" from "daemon up": both exited 0. As `systemctl status` of a stopped unit: 3.
  it('status exits 3 with its one line when no daemon runs, and says how long a running one has been up', async () => {
    const text = await cli(['daemon', 'status']);
    expect(text).toEqual({ code: 3, stdout: 'codectx daemon is not running\n', stderr: '' });
    const json = await cli(['daemon', 'status', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toEqual({ running: false });
    const stop = await cli(['daemon', 'stop']);
    expect(stop).toEqual({ code: 0, stdout: 'codectx daemon is not running\n', stderr: '' });

    await start();
    const up = await cli(['daemon', 'status']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^daemon: {4}pid \d+, codectx \S+, up \d+s, /); // was "up since 0s ago"
  });

  // A tmp cleaner deleted the socket: every command then worked without the daemon, and `daemon stop` said "not
  // running" while it went on watching and indexing.
  it('listens again when its socket file is deleted', async () => {
    const pid = await start();
    await rm(join(home, 'daemon.sock'));
    await waitFor('the socket to come back', async () => (await cli(['daemon', 'status', '--json'])).code === 0);
    expect(JSON.parse((await cli(['daemon', 'status', '--json'])).stdout)).toMatchObject({ running: true, pid });
    expect(await readFile(join(home, 'daemon.log'), 'utf8')).toContain(`the socket ${join(home, 'daemon.sock')} was deleted; listening on it again`);
    const stop = await cli(['daemon', 'stop']);
    expect(stop.stdout).toBe(`codectx daemon stopped (pid ${pid})\n`);
  });

  it.skipIf(!hasProc)('status, start and stop find a daemon by its lock when no socket reaches it', async () => {
    const pid = await lockTaker();
    const missing = `a daemon (pid ${pid}) holds ${join(home, 'daemon.lock')} but its socket ${join(home, 'daemon.sock')} is missing; \`codectx daemon stop\` stops it`;
    expect(await cli(['daemon', 'status'])).toEqual({ code: 1, stdout: '', stderr: `codectx: ${missing}\n` });
    // Was: the new daemon exited at start, "a daemon is already running (… busy: process N holds …)".
    expect(await cli(['daemon', 'start'])).toEqual({ code: 1, stdout: '', stderr: `codectx: ${missing}\n` });
    const stop = await cli(['daemon', 'stop']);
    expect(stop, stop.stderr).toEqual({
      code: 0,
      stdout: `codectx daemon stopped (pid ${pid}, signalled: its socket ${join(home, 'daemon.sock')} is missing)\n`,
      stderr: '',
    });
    expect(alive(pid)).toBe(false);
  });

  // `daemon start` right after a kill -9 failed: the killed daemon was still exiting, holding its lock, and the new
  // one gave up at once ("process N holds daemon.lock").
  it.skipIf(!hasProc)('a daemon starting while the old one still exits waits for its lock', async () => {
    const old = await lockTaker();
    const run = startCli(['daemon', 'run'], { home });
    setTimeout(() => process.kill(old, 'SIGKILL'), 1000);
    await waitFor('the new daemon to answer', async () => run.child.exitCode !== null || (await cli(['daemon', 'status'])).code === 0);
    if (run.child.exitCode !== null) expect.fail(`the new daemon exited: ${(await run.done).stderr}`);
    expect((await cli(['daemon', 'stop'])).code).toBe(0);
    expect((await run.done).code).toBe(0);
  });

  it.skipIf(!hasProc)('never signals a process that only an older lock (a pid alone) names', async () => {
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(other);
    const lock = join(home, 'daemon.lock');
    await writeFile(lock, String(other.pid));
    const stop = await cli(['daemon', 'stop']);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toBe(
      `codectx: process ${other.pid} holds ${lock} but its socket ${join(home, 'daemon.sock')} is missing; if it is a codectx daemon, \`kill ${other.pid}\` stops it, else delete ${lock}\n`,
    );
    expect(alive(other.pid!)).toBe(true);
  });

  // The pid in a stale lock (a crash, a reboot) went to another program: `daemon start` was refused for good.
  it.skipIf(!hasProc)('start takes over a lock whose pid now runs another program', async () => {
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(other);
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const started = readFileSync(`/proc/${other.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
    // Written by that very process, the lock is held: start names it rather than take it over.
    await writeFile(join(home, 'daemon.lock'), `${other.pid} ${started}@${bootId}`);
    const held = await cli(['daemon', 'start']);
    expect(held.code).toBe(1);
    expect(held.stderr).toContain(`a daemon (pid ${other.pid}) holds ${join(home, 'daemon.lock')}`);
    await writeFile(join(home, 'daemon.lock'), `${other.pid} 1@${bootId}`);
    const pid = await start();
    expect(pid).not.toBe(other.pid);
    expect(alive(other.pid!)).toBe(true);
  });

  // Refused by the client (another uid's socket), the socket made every daemon command say "not running", and
  // `daemon start` print the refusal once per poll (about 9 times) before failing.
  it.skipIf(!isRoot)('status and start name a daemon whose socket is refused, once; stop signals it', async () => {
    const pid = await start();
    const socket = join(home, 'daemon.sock');
    await chown(socket, 65534, 65534);
    const refused = `codectx: a daemon (pid ${pid}) holds ${join(home, 'daemon.lock')} but its socket ${socket} is untrusted: it is not a socket of this user's (uid 65534); \`codectx daemon stop\` stops it\n`;
    expect(await cli(['daemon', 'status'])).toEqual({ code: 1, stdout: '', stderr: refused });
    expect(await cli(['daemon', 'start'])).toEqual({ code: 1, stdout: '', stderr: refused });
    const stop = await cli(['daemon', 'stop']);
    expect(stop.stdout).toMatch(new RegExp(`^codectx daemon stopped \\(pid ${pid}, signalled: its socket .* is untrusted`));
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(home, 'daemon.lock'))).toBe(false);
  });
});
