/**
 * Every temporary folder of a test run, and of the CLIs and daemons the tests start, goes under one folder that is
 * removed when the run ends. Tests made them with mkdtemp under /tmp and few removed them: 87 runs of the Milvus
 * sharing test alone had left 5.8 GB there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'codectx-tests-'));
  // Workers and their child processes inherit the environment; os.tmpdir() reads TMPDIR on every call.
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
