import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock, lockHolder } from '../src/index/lock.js';
import { runWithoutDiskSpace } from './helpers/noDiskSpace.js';

describe('acquireLock', () => {
  it('holds the owner pid, refuses a second holder (even in the same process), and frees on release', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codectx-lock-'));
    const path = join(dir, 'index.lock');
    const release = await acquireLock(path, 'the index');
    expect((await readFile(path, 'utf8')).split(' ')[0]).toBe(String(process.pid));
    await expect(acquireLock(path, 'the index')).rejects.toThrow(`the index is busy: process ${process.pid} holds ${path}`);
    await release();
    const again = await acquireLock(path, 'the index');
    await again();
    expect(await readdir(dir)).toEqual([]); // no temporary files left behind
  });

  it('takes over a lock whose owner is dead', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codectx-lock-'));
    const path = join(dir, 'index.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await writeFile(path, dead);
    const release = await acquireLock(path, 'the index');
    expect((await readFile(path, 'utf8')).split(' ')[0]).toBe(String(process.pid));
    await release();
  });

  it('lets exactly one of many concurrent callers in', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codectx-lock-'));
    const path = join(dir, 'index.lock');
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => acquireLock(path, 'the index')));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
  });
});

describe('acquireLock on a full disk', () => {
  // Seen on a full disk: `codectx index` said "unexpected error: ENOSPC: no space left on device, write", naming
  // no file, and every run left an empty index.lock.<pid>.….tmp in the index folder.
  it('names the lock it cannot write and leaves no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codectx-lock-'));
    const path = join(dir, 'index.lock');
    const { stdout } = await runWithoutDiskSpace(
      `const { acquireLock } = await import(dist('index/lock.js'));
       await acquireLock(process.argv[1], 'the index').then(() => console.log('acquired'), (error) => console.log(error.name, error.message));`,
      [path],
    );
    expect(stdout.trim()).toMatch(new RegExp(`^CodectxError cannot write the lock ${path}: EFBIG`));
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('acquireLock on a stale lock', () => {
  it('lets exactly one of many concurrent callers take it over', async () => {
    // Callers interleave at every await, as separate processes would: each finds the same dead owner, and a
    // takeover that removed "the stale lock" without checking again would remove a live one just linked.
    const dir = await mkdtemp(join(tmpdir(), 'codectx-lock-'));
    const path = join(dir, 'index.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    for (let round = 0; round < 5; round++) {
      await writeFile(path, dead);
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => acquireLock(path, 'the index')));
      const held = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      expect(held).toHaveLength(1);
      await (held[0] as PromiseFulfilledResult<() => Promise<void>>).value();
      expect(await readdir(dir)).toEqual([]);
    }
  });
});

// After a crash or a reboot the lock's pid may belong to an unrelated live process: `daemon start` and `index`
// were refused for good ("busy: process N holds …") until the user found and deleted the file.
describe.skipIf(!existsSync('/proc/self/stat'))('acquireLock when the pid now belongs to another process', () => {
  const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  /** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
  const startOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
  let other: ChildProcess | undefined;
  afterEach(() => {
    other?.kill('SIGKILL');
  });
  const otherProcess = () => {
    other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    return other.pid!;
  };

  it('records when its holder started, and sees a live holder as the holder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codectx-lock-'));
    const path = join(dir, 'index.lock');
    const release = await acquireLock(path, 'the index');
    expect(await readFile(path, 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+@${bootId()}$`));
    expect(await lockHolder(path)).toEqual({ pid: process.pid, checked: true });
    await release();
    expect(await lockHolder(path)).toBeUndefined();
  });

  it('takes over a lock whose pid runs a process that started at another time, or in another boot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codectx-lock-'));
    const path = join(dir, 'index.lock');
    const pid = otherProcess();
    await writeFile(path, `${pid} ${startOf(pid)}@${bootId()}`); // as that process would have written it
    await expect(acquireLock(path, 'the index')).rejects.toThrow(`the index is busy: process ${pid} holds ${path}`);
    for (const start of [`1@${bootId()}`, `${Number.MAX_SAFE_INTEGER}@${bootId()}`, '1@00000000-0000-0000-0000-000000000000']) {
      await writeFile(path, `${pid} ${start}`);
      expect(await lockHolder(path)).toBeUndefined();
      const release = await acquireLock(path, 'the index');
      expect((await readFile(path, 'utf8')).split(' ')[0]).toBe(String(process.pid));
      await release();
    }
  });

  // A daemon killed with -9 in a container whose first process never reaps stayed a zombie: signal 0 reached it,
  // and its lock refused every later `daemon start`.
  it('takes over a lock whose holder exited and is a zombie nobody reaped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codectx-lock-'));
    const path = join(dir, 'index.lock');
    // The shell's child exits at once, and the shell, replaced by sleep, never reaps it.
    other = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const zombie = Number(await new Promise<string>((resolve) => other!.stdout!.once('data', (data: Buffer) => resolve(data.toString()))));
    const deadline = Date.now() + 10_000;
    while (!/^Z/.test(readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]![0]).toBe('Z');
    await writeFile(path, `${zombie} ${startOf(zombie)}@${bootId()}`);
    expect(await lockHolder(path)).toBeUndefined();
    const release = await acquireLock(path, 'the index');
    expect((await readFile(path, 'utf8')).split(' ')[0]).toBe(String(process.pid));
    await release();
  });

  it("still honours an older version's lock (a pid alone), and says which file to delete", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codectx-lock-'));
    const path = join(dir, 'index.lock');
    const pid = otherProcess();
    await writeFile(path, `${pid}\n`);
    expect(await lockHolder(path)).toEqual({ pid, checked: false });
    await expect(acquireLock(path, 'the index')).rejects.toThrow(
      `the index is busy: process ${pid} holds ${path}; if process ${pid} is not codectx, delete that file`,
    );
  });
});
