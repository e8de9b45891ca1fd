import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(PROJECT_ROOT, 'bin', 'codectx.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would (a real process), with its own CODECTX_HOME. */
export function runCli(args: string[], options: { home: string; cwd?: string; env?: NodeJS.ProcessEnv; input?: string }): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: options.cwd ?? PROJECT_ROOT,
        env: { ...process.env, CODECTX_HOME: options.home, ...options.env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Starts the built CLI like runCli, for a test that signals it while it runs; `done` gives how it ended. */
export function startCli(
  args: string[],
  options: { home: string; cwd?: string },
): { child: ChildProcess; done: Promise<CliResult & { signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, CODECTX_HOME: options.home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code: code ?? 1, signal, stdout, stderr })),
  );
  return { child, done };
}

/** A fresh copy of the fixture codebase and an empty CODECTX_HOME. */
export async function fixtureWorkspace(fixture = 'repo'): Promise<{ repo: string; home: string }> {
  const base = await mkdtemp(join(tmpdir(), 'codectx-e2e-'));
  const repo = join(base, 'repo');
  await cp(join(PROJECT_ROOT, 'test', 'fixtures', fixture), repo, { recursive: true });
  return { repo, home: join(base, 'home') };
}
