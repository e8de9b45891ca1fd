import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureWorkspace, PROJECT_ROOT, runCli, startCli } from './helpers/cli.js';
import { PROTOCOL_VERSION } from '../src/daemon/protocol.js';
import { Manifest } from '../src/index/manifest.js';
import { namesOf as names } from './helpers/results.js';
import { processAlive as alive } from '../src/index/lock.js';
import { poller } from './helpers/wait.js';

interface JsonResult {
  file: string;
  startLine: number;
  endLine: number;
  symbol: string;
  score: number;
  content: string;
}

interface CodebaseStatus {
  root: string;
  state: string;
  files: number;
  chunks: number;
  queue: number;
  lastError?: string;
  p50LatencyMs?: number;
  runs: number;
}

interface DaemonStatus {
  running: boolean;
  pid: number;
  socket: string;
  searches: number;
  codebases: CodebaseStatus[];
}

const WAIT_MS = 90_000;
const waitFor = poller(WAIT_MS);


describe('codectx daemon: real processes, real model, LanceDB', () => {
  let repo: string;
  let home: string;
  let root: string;
  /** Every daemon pid seen, killed in afterAll so a failing test never leaves one behind. */
  const pids = new Set<number>();

  const cli = (args: string[]) => runCli(args, { home });
  const start = async () => {
    const result = await cli(['daemon', 'start']);
    expect(result.code, result.stderr).toBe(0);
    const pid = Number(/pid (\d+)/.exec(result.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    pids.add(pid);
    return { pid, stdout: result.stdout };
  };
  const status = async (): Promise<DaemonStatus> => {
    const result = await cli(['daemon', 'status', '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as DaemonStatus;
  };
  const codebaseStatus = async () => (await status()).codebases.find((codebase) => codebase.root === root);
  const search = async (query: string, extra: string[] = []): Promise<JsonResult[]> => {
    const result = await cli(['search', query, '--path', repo, '--json', ...extra]);
    expect(result.code, result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as { results: JsonResult[] }).results;
  };
  const manifestChunks = async (): Promise<Record<string, number>> => {
    const status = await cli(['status', repo, '--json']);
    const { indexDir } = JSON.parse(status.stdout) as { indexDir: string };
    const manifest = await Manifest.load(indexDir);
    return Object.fromEntries([...manifest.files].map(([file, entry]) => [file, entry.chunks]));
  };

  beforeAll(async () => {
    ({ repo, home } = await fixtureWorkspace());
    await mkdir(home, { recursive: true });
    const { realpath } = await import('node:fs/promises');
    root = await realpath(repo);
  });

  afterAll(async () => {
    await cli(['daemon', 'stop']);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone: the normal case.
      }
    }
  });

  it('starts once: a second start reports the running daemon', async () => {
    const first = await start();
    expect(first.stdout).toMatch(/daemon started/);
    const second = await start();
    expect(second.stdout).toMatch(/already running/);
    expect(second.pid).toBe(first.pid);
    const socket = join(home, 'daemon.sock');
    expect((await stat(socket)).mode & 0o777).toBe(0o600);
    expect((await status()).pid).toBe(first.pid);
  });

  // Seen: three `daemon start` at once, then `daemon stop` within three seconds: a losing start's daemon, still
  // waiting for the lock, took it over and ran on, unseen by the stop that had just said it stopped.
  it('started several times at once, runs once, and a stop right after leaves none running', async () => {
    await cli(['daemon', 'stop']);
    const starts = await Promise.all([start(), start(), start()]);
    expect(new Set(starts.map((started) => started.pid)).size).toBe(1);
    expect((await cli(['daemon', 'stop'])).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect((await cli(['daemon', 'status'])).code).toBe(3);
    await start(); // the tests below talk to a running daemon
  });

  it('answers a request from another protocol version with a clear error', async () => {
    const reply = await rawRequest(join(home, 'daemon.sock'), { v: 99, id: 7, method: 'ping' });
    expect(reply).toMatchObject({ v: PROTOCOL_VERSION, id: 7, error: { code: 'version' } });
    expect((reply as { error: { message: string } }).error.message).toMatch(/protocol version mismatch/);
  });

  it('add indexes the codebase and status reports it', async () => {
    const added = await cli(['add', repo]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^added /);
    await waitFor('the first index', async () => {
      const codebase = await codebaseStatus();
      return codebase?.state === 'idle' && codebase.runs > 0 && codebase.chunks > 0;
    });
    const codebase = (await codebaseStatus())!;
    expect(codebase).toMatchObject({ files: 5, queue: 0 });
    expect(codebase.lastError).toBeUndefined();
    const listed = await cli(['list', '--json']);
    expect(JSON.parse(listed.stdout)).toMatchObject({ daemon: true, codebases: [{ root, state: 'idle' }] });
  });

  it('makes a new function searchable after the file is saved', async () => {
    await appendFile(
      join(repo, 'src/ui/chart.js'),
      `\nexport function computeHistogramBins(values, binCount) {\n  const max = Math.max(...values);\n  return Array.from({ length: binCount }, (_, i) => values.filter((v) => Math.floor((v / max) * binCount) === i).length);\n}\n`,
    );
    await waitFor('the new function in search results', async () => {
      const [top] = await search('computeHistogramBins');
      return names(top).includes('computeHistogramBins');
    });
    const codebase = (await codebaseStatus())!;
    expect(codebase.p50LatencyMs).toBeGreaterThan(0);
  });

  it('forgets a deleted file', async () => {
    await rm(join(repo, 'src/ui/chart.js'));
    await waitFor('the deleted file to leave the results', async () => {
      const results = await search('computeHistogramBins renderChart');
      return results.every((result) => result.file !== 'src/ui/chart.js');
    });
    expect((await manifestChunks())['src/ui/chart.js']).toBeUndefined();
  });

  // Errors crossed the socket as one generic type: route and ask in a folder with no index failed (exit 1, or an
  // abort) with the daemon up, and worked without it.
  it('commands answer the same with the daemon up and down, errors included', async () => {
    const plain = join(repo, '..', 'plain');
    await mkdir(plain, { recursive: true });
    await writeFile(join(plain, 'limits.py'), 'def allow(bucket):\n    return bucket.take()\n');
    const commands = [
      ['route', 'add rate limiting to the router', '--path', plain, '--json'],
      ['ask', '--dry-run', 'add rate limiting to the router', '--path', plain],
      ['context', 'add rate limiting', '--path', plain],
      ['search', 'rate limiting', '--path', plain],
      ['search', 'password', '--path', repo, '--kind', 'function', '--json'],
    ];
    const run = async () => {
      const outcomes = [];
      for (const args of commands) outcomes.push(await cli(args));
      return outcomes;
    };
    const served = (await status()).searches;
    const up = await run();
    expect((await status()).searches).toBeGreaterThan(served);
    expect((await cli(['daemon', 'stop'])).code).toBe(0);
    const down = await run();
    await start();
    commands.forEach((args, i) => expect(up[i], args.join(' ')).toEqual(down[i]));
    expect(up.map((outcome) => outcome.code)).toEqual([0, 0, 1, 1, 0]);
  });

  it('stops cleanly; in-process search then returns what the daemon returned', async () => {
    const queries: [string, string[]][] = [
      ['check whether the login password is correct', []],
      ['lookupSession', []],
      ['invoice totals per customer', []],
      // Filters reach the daemon too: a v1 daemon dropped globs and answered unfiltered.
      ['session password', ['-g', '!*password*', '--lang', 'TS']],
    ];
    const served = (await status()).searches;
    const throughDaemon = await Promise.all(queries.map(([query, extra]) => search(query, extra)));
    const filtered = throughDaemon.at(-1)!;
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((result) => result.file === 'src/auth/session.ts')).toBe(true);
    const { pid, searches } = await status();
    expect(searches - served).toBe(queries.length);
    const stopped = await cli(['daemon', 'stop']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(/stopped/);
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(home, 'daemon.sock'))).toBe(false);
    expect(existsSync(join(home, 'daemon.lock'))).toBe(false);
    const down = await cli(['daemon', 'status', '--json']);
    expect(down.code).toBe(3); // as `systemctl status` of a stopped unit
    expect(JSON.parse(down.stdout)).toEqual({ running: false });
    const inProcess = await Promise.all(queries.map(([query, extra]) => search(query, extra)));
    expect(inProcess).toEqual(throughDaemon);
  });

  it('reconciles on start what changed while it was down', async () => {
    await mkdir(join(repo, 'src/billing'), { recursive: true });
    await writeFile(
      join(repo, 'src/billing/tax.ts'),
      `export function computeSalesTaxForRegion(amountCents: number, region: string): number {\n  const rates: Record<string, number> = { EU: 0.2, US: 0.07 };\n  return Math.round(amountCents * (rates[region] ?? 0));\n}\n`,
    );
    await start();
    await waitFor('the file written while the daemon was down', async () => {
      const [top] = await search('computeSalesTaxForRegion');
      return names(top).includes('computeSalesTaxForRegion');
    });
  });

  it('recovers from kill -9: a new start takes the stale lock, and no chunk is duplicated', async () => {
    const { pid } = await status();
    // Kill it while a run is (likely) under way: an edit, then the kill right after the debounce.
    await appendFile(join(repo, 'src/billing/tax.ts'), `\nexport function roundToCents(value: number): number {\n  return Math.round(value * 100) / 100;\n}\n`);
    await new Promise((resolve) => setTimeout(resolve, 400));
    process.kill(pid, 'SIGKILL');
    await waitFor('the killed daemon to be gone', async () => !alive(pid));
    expect(existsSync(join(home, 'daemon.lock'))).toBe(true);

    const restarted = await start();
    expect(restarted.stdout).toMatch(/daemon started/);
    expect(restarted.pid).not.toBe(pid);
    await waitFor('the edit made before the kill', async () => {
      const [top] = await search('roundToCents');
      return names(top).includes('roundToCents');
    });
    await waitFor('the reconciling run to settle', async () => (await codebaseStatus())?.state === 'idle' && (await codebaseStatus())?.queue === 0);

    const chunks = await manifestChunks();
    const taxResults = (await search('computeSalesTaxForRegion roundToCents', ['--under', 'src/billing/', '--limit', '50'])).filter(
      (result) => result.file === 'src/billing/tax.ts',
    );
    expect(chunks['src/billing/tax.ts']).toBeGreaterThan(0);
    const total = Object.values(chunks).reduce((sum, count) => sum + count, 0);
    expect((await codebaseStatus())!.chunks).toBe(total);
    // Search joins neighbouring chunks into one result but never a chunk with its own copy (they overlap), so a
    // duplicated chunk would show as two results over the same lines.
    const spans = taxResults.map((result) => [result.startLine, result.endLine] as const).sort((a, b) => a[0] - b[0]);
    expect(taxResults.flatMap(names)).toEqual(expect.arrayContaining(['computeSalesTaxForRegion', 'roundToCents']));
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThan(spans[i - 1]![1]);
  });

  it('reports a renamed codebase as missing once, and picks it up again when it returns', async () => {
    const moved = `${repo}-moved`;
    await rename(repo, moved);
    await waitFor('the missing state', async () => (await codebaseStatus())?.state === 'missing');
    // Let the 10 s poll come round again: a missing codebase must be reported once, not on every check.
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    const log = await readFile(join(home, 'daemon.log'), 'utf8');
    expect(log.split('\n').filter((line) => line.includes(`${root} is missing`))).toHaveLength(1);
    expect((await cli(['list'])).stdout).toContain('missing');

    await rename(moved, repo);
    await appendFile(join(repo, 'src/billing/tax.ts'), `\nexport function applyVatReverseCharge(): boolean {\n  return true;\n}\n`);
    await waitFor('the returned codebase to be indexed again', async () => {
      const [top] = await search('applyVatReverseCharge');
      return names(top).includes('applyVatReverseCharge');
    });
    expect((await codebaseStatus())?.state).not.toBe('missing');
  });

  it('index goes through the daemon, which then watches the codebase too', async () => {
    const other = join(repo, '..', 'other');
    await mkdir(join(other, 'lib'), { recursive: true });
    await writeFile(join(other, 'lib/queue.py'), 'def drain_retry_queue(queue):\n    while queue:\n        queue.pop()\n');
    const indexed = await cli(['index', other, '--json']);
    expect(indexed.code, indexed.stderr).toBe(0);
    expect(JSON.parse(indexed.stdout)).toMatchObject({ filesChanged: 1, filesScanned: 1 });
    const otherRoot = join(root, '..', 'other');
    expect((await status()).codebases.map((codebase) => codebase.root)).toContain(otherRoot);
    await writeFile(join(other, 'lib/queue.py'), 'def drain_retry_queue(queue):\n    queue.clear()\n\ndef requeue_dead_letters(queue):\n    return list(queue)\n');
    await waitFor('the watched second codebase', async () => {
      const result = await cli(['search', 'requeue_dead_letters', '--path', other, '--json']);
      return (JSON.parse(result.stdout) as { results: JsonResult[] }).results.some((r) => r.content.includes('requeue_dead_letters'));
    });
  });

  it('a codebase whose indexing fails reports it, and the others go on', async () => {
    const other = join(repo, '..', 'other');
    const otherRoot = join(root, '..', 'other');
    const { indexDir } = JSON.parse((await cli(['status', other, '--json'])).stdout) as { indexDir: string };
    await writeFile(join(indexDir, 'meta.json'), '{ "format": 1, "damaged');
    await appendFile(join(other, 'lib/queue.py'), '\ndef purge_poison_messages(queue):\n    return []\n');
    await waitFor('the failure in status', async () => {
      const broken = (await status()).codebases.find((codebase) => codebase.root === otherRoot);
      return /index metadata .* is damaged/.test(broken?.lastError ?? '');
    });

    await appendFile(join(repo, 'src/billing/tax.ts'), `\nexport function roundToTaxCents(amount: number): number {\n  return Math.round(amount * 100) / 100;\n}\n`);
    await waitFor('the healthy codebase to keep indexing', async () => {
      const [top] = await search('roundToTaxCents');
      return names(top).includes('roundToTaxCents');
    });
    expect((await codebaseStatus())?.lastError).toBeUndefined();
    expect((await cli(['remove', other])).code).toBe(0);
  });

  // clear used to drop the index behind the daemon's back: status kept the old counts, and the next save rebuilt it.
  it('clear stops the daemon watching, and status forgets the codebase', async () => {
    const third = join(repo, '..', 'third');
    await mkdir(third, { recursive: true });
    await writeFile(join(third, 'cache.py'), 'def evict_least_recent(cache):\n    cache.popitem(last=False)\n');
    expect((await cli(['index', third])).code).toBe(0);
    const thirdRoot = join(root, '..', 'third');
    const watched = (await status()).codebases.find((codebase) => codebase.root === thirdRoot);
    expect(watched?.chunks).toBeGreaterThan(0);
    expect(watched?.files).toBe(1);

    const cleared = await cli(['clear', third]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toMatch(/cleared the index of .*third \(\d+ chunks?\); the daemon no longer watches it/);
    expect((await status()).codebases.map((codebase) => codebase.root)).not.toContain(thirdRoot);
    expect(JSON.parse((await cli(['status', third, '--json'])).stdout)).toMatchObject({ indexed: false });
  });

  // `CODECTX_STORE=milvus codectx add` had a daemon running on LanceDB index and watch the codebase with its own settings, silently.
  it("add and index --watch with other settings than the daemon's are refused in one line (exit 2)", async () => {
    const fourth = join(repo, '..', 'fourth');
    await mkdir(fourth, { recursive: true });
    await writeFile(join(fourth, 'retry.py'), 'def backoff_delay(attempt):\n    return 2 ** attempt\n');
    const fourthRoot = join(root, '..', 'fourth');
    const refusal = new RegExp(`^codectx: the running daemon would index ${fourthRoot} with other settings than this command's [^\n]*\n$`);
    const added = await runCli(['add', fourth], { home, env: { CODECTX_STORE: 'milvus', CODECTX_MILVUS_ADDRESS: '127.0.0.1:1' } });
    expect(added.code).toBe(2);
    expect(added.stdout).toBe('');
    expect(added.stderr).toMatch(refusal);
    // The run itself is done here, as any command with other settings does it; the watch is refused after it.
    const indexed = await runCli(['index', fourth, '--quiet', '--watch'], { home, env: { CODECTX_MAX_FILE_BYTES: '500000' } });
    expect(indexed.code).toBe(2);
    expect(indexed.stdout).toMatch(/^indexed 1 file/);
    expect(indexed.stderr).toMatch(refusal);
    expect((await status()).codebases.map((codebase) => codebase.root)).not.toContain(fourthRoot);
    const listed = JSON.parse((await cli(['list', '--json'])).stdout) as { codebases: { root: string }[] };
    expect(listed.codebases.map((codebase) => codebase.root)).not.toContain(fourthRoot);
  });

  it('logs what it did, and remove stops watching', async () => {
    const logs = await cli(['daemon', 'logs', '-n', '200']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/watching /);
    expect(logs.stdout).toMatch(/indexed .*changed/);
    const removed = await cli(['remove', repo]);
    expect(removed.stdout).toMatch(/^removed /);
    expect(await codebaseStatus()).toBeUndefined();
    expect(JSON.parse((await cli(['list', '--json'])).stdout).codebases).toEqual([]);
  });
});

describe('codectx watch and index without a daemon', () => {
  it('index registers the codebase only with --watch; watch re-indexes in the foreground and stops on Ctrl-C', async () => {
    const { repo, home } = await fixtureWorkspace();
    const list = async () => JSON.parse((await runCli(['list', '--json'], { home })).stdout) as { daemon: boolean; codebases: { root: string }[] };
    // A folder indexed once (a scratch checkout) is not watched for good by a daemon started later.
    const indexed = await runCli(['index', repo, '--quiet'], { home });
    expect(indexed.code, indexed.stderr).toBe(0);
    expect(indexed.stdout).not.toContain('registered');
    expect(await list()).toEqual({ daemon: false, codebases: [] });

    const watchedToo = await runCli(['index', repo, '--quiet', '--watch'], { home });
    expect(watchedToo.code, watchedToo.stderr).toBe(0);
    expect(watchedToo.stdout).toMatch(/^registered .*repo \(kept indexed while the daemon runs: `codectx daemon start`; `codectx list` shows what is watched\)$/m);
    const listed = await list();
    expect(listed.daemon).toBe(false);
    expect(listed.codebases).toHaveLength(1);
    expect((await runCli(['list'], { home })).stdout).toMatch(/repo {2}not watched \(daemon not running\)/);

    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'codectx.js'), 'watch', repo], {
      env: { ...process.env, CODECTX_HOME: home },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('the watcher to start', async () => output.includes('watching '));
      // The reconciling run finds nothing to do; give the watcher a moment to be ready before editing.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await appendFile(join(repo, 'scripts/report.py'), '\n\ndef summarize_refunds(rows):\n    return sum(r.refund for r in rows)\n');
      await waitFor('the re-index line', async () => /indexed .*: 1 changed/.test(output));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    const search = await runCli(['search', 'summarize_refunds', '--path', repo, '--json'], { home });
    const results = (JSON.parse(search.stdout) as { results: JsonResult[] }).results;
    expect(results.some((result) => result.content.includes('summarize_refunds'))).toBe(true);
  });

  // Seen: with its codebase renamed, `codectx watch` said it would check for its return, and node ended it at once
  // (status 13): nothing held the process up once the watcher was closed.
  it('watch waits for a codebase that went missing, picks it up again, and stops on Ctrl-C', async () => {
    const base = await mkdtemp(join(tmpdir(), 'codectx-watch-missing-'));
    const project = join(base, 'project');
    await mkdir(project);
    await writeFile(join(project, 'a.py'), 'def first():\n    return 1\n');
    const watch = startCli(['watch', project], { home: join(base, 'home') });
    let out = '';
    watch.child.stdout!.on('data', (data: Buffer) => (out += data.toString()));
    try {
      await waitFor('the first run', async () => out.includes('indexed '));
      await rename(project, `${project}-moved`);
      await waitFor('the codebase missing', async () => out.includes('is missing'));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(watch.child.exitCode).toBeNull();
      await rename(`${project}-moved`, project);
      await waitFor('the codebase back', async () => out.includes('is back'));
      watch.child.kill('SIGINT');
      expect((await watch.done).code).toBe(0);
    } finally {
      watch.child.kill('SIGKILL');
    }
  });
});

function rawRequest(socketPath: string, request: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      const newline = buffer.indexOf('\n');
      if (newline >= 0) {
        socket.destroy();
        resolve(JSON.parse(buffer.slice(0, newline)));
      }
    });
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
  });
}
