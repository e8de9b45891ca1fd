import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from './cli.js';

/**
 * Runs an ES module script in a process that can write no file data, as on a full disk: the shell's file size limit
 * of 0 makes every write fail (EFBIG, its signal ignored) while files are still created, which is what left empty
 * temporary files behind. `dist(path)` in the script stands for the built module's URL; it prints what it wants
 * checked.
 */
export function runWithoutDiskSpace(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const source = script.replace(/dist\('([^']+)'\)/g, (_, path: string) => JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'dist', path)).href));
  return new Promise((resolve) => {
    execFile(
      '/bin/sh',
      ['-c', 'trap "" XFSZ; ulimit -f 0; exec "$0" "$@"', process.execPath, '--input-type=module', '-e', source, ...args],
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}
