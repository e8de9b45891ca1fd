import { randomBytes } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../config/paths.js';
import { DamagedIndexError, IndexStateError } from '../errors.js';
import type { FileEntry } from './fileTable.js';

const BASE = 'manifest.json';
const LOG = 'manifest.log';
const FORMAT = 2;
// A log smaller than this is never worth folding into the base: replaying it on load takes milliseconds.
const MIN_FOLD_BYTES = 1 << 20;

interface LogState {
  baseBytes: number;
  logBytes: number;
  /** The log is the base's and ends on a whole line, so new lines can go at its end. */
  appendable: boolean;
}

/**
 * The local manifest on disk: a base snapshot (manifest.json) and an append-only log of changes since it
 * (manifest.log, one JSON line per file set or deleted). A save appends one write and an fsync; the base is
 * rewritten only when the log has grown past it, so a whole index costs a few manifest sizes of writes, not one
 * manifest per group. Folding writes a new base under a new generation and then starts a new log with that
 * generation in its header: a crash between the two leaves a log that names the old generation, which is ignored
 * (its changes are in the new base). The base without `log` is the format before the log: it loads as it is and
 * the first save folds it into the new format.
 */
export class ManifestLog {
  private constructor(
    private readonly dir: string,
    private state: LogState,
  ) {}

  static async load(indexDir: string): Promise<{ entries: Map<string, FileEntry>; log: ManifestLog }> {
    let base = await readBase(indexDir);
    let log = await readLog(indexDir);
    // A reader racing a fold can see the old base with the new log: the new base is there by then.
    if (log && log.generation !== base.generation) base = await readBase(indexDir);
    const entries = new Map(Object.entries(base.files));
    const ours = log !== undefined && base.generation !== undefined && log.generation === base.generation;
    if (!ours) log = undefined;
    for (const [path, entry] of log?.changes ?? []) {
      if (entry) entries.set(path, entry);
      else entries.delete(path);
    }
    const state = { baseBytes: base.bytes, logBytes: log?.bytes ?? 0, appendable: ours && !log!.torn };
    return { entries, log: new ManifestLog(indexDir, state) };
  }

  /** A log with no files that has not been written: what a rebuild from nothing starts from. */
  static empty(indexDir: string): ManifestLog {
    return new ManifestLog(indexDir, { baseBytes: 0, logBytes: 0, appendable: false });
  }

  /** Forgets every file: an empty base under a new generation, which disowns the old log at once. */
  static async reset(indexDir: string): Promise<void> {
    await ManifestLog.empty(indexDir).fold(new Map());
  }

  /** Records the changed paths (set, or deleted when `files` no longer has them). */
  async write(files: ReadonlyMap<string, FileEntry>, changed: string[]): Promise<void> {
    if (changed.length === 0) return;
    const lines = changed.map((path) => `${JSON.stringify(files.has(path) ? [path, localEntry(files.get(path)!)] : [path])}\n`).join('');
    const bytes = Buffer.byteLength(lines);
    const { appendable, logBytes, baseBytes } = this.state;
    if (!appendable || logBytes + bytes > Math.max(baseBytes, MIN_FOLD_BYTES)) return this.fold(files);
    const handle = await open(join(this.dir, LOG), 'a', PRIVATE_FILE_MODE);
    try {
      await handle.write(lines);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.state.logBytes += bytes;
  }

  private async fold(files: ReadonlyMap<string, FileEntry>): Promise<void> {
    const generation = randomBytes(8).toString('hex');
    const local = Object.fromEntries([...files].map(([path, entry]) => [path, localEntry(entry)]));
    const base = JSON.stringify({ format: FORMAT, log: generation, files: local });
    const header = `${JSON.stringify({ log: generation })}\n`;
    await writeDurably(join(this.dir, BASE), base);
    await writeDurably(join(this.dir, LOG), header);
    this.state = { baseBytes: Buffer.byteLength(base), logBytes: Buffer.byteLength(header), appendable: true };
  }
}

/** The entry as kept on disk here: chunk ids are the shared state table's (FileEntry.ids), and would only grow it. */
function localEntry(entry: FileEntry): FileEntry {
  if (!entry.ids) return entry;
  const { ids: _ids, ...rest } = entry;
  return rest;
}

/** Through a temp file, synced, then renamed: a crash leaves the old file or the new one, never half of one. */
async function writeDurably(path: string, text: string): Promise<void> {
  makePrivateDir(dirname(path));
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(temp, 'w', PRIVATE_FILE_MODE);
  try {
    await handle.write(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

function damaged(path: string, where = ''): DamagedIndexError {
  return new DamagedIndexError(`the index manifest ${path} is damaged${where}; run \`codectx index --force\` to rebuild`);
}

async function readOrNothing(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IndexStateError(`cannot read the index manifest ${path}: ${(error as Error).message}`);
  }
}

async function readBase(indexDir: string): Promise<{ files: Record<string, FileEntry>; generation?: string; bytes: number }> {
  const path = join(indexDir, BASE);
  const bytes = await readOrNothing(path);
  if (!bytes) return { files: {}, bytes: 0 };
  let stored: { files?: Record<string, FileEntry>; log?: unknown };
  try {
    stored = JSON.parse(bytes.toString('utf8')) as typeof stored;
  } catch {
    throw damaged(path);
  }
  if (typeof stored !== 'object' || stored === null) throw damaged(path);
  const generation = typeof stored.log === 'string' ? stored.log : undefined;
  return { files: stored.files ?? {}, generation, bytes: bytes.length };
}

type Change = [path: string, entry?: FileEntry];

/**
 * The log's changes, in order. A line counts once its newline is written: a last line without one is what a crash
 * during an append leaves, and is dropped (its files are simply done again). A bad line before the end is damage.
 */
async function readLog(indexDir: string): Promise<{ generation: string; changes: Change[]; bytes: number; torn: boolean } | undefined> {
  const path = join(indexDir, LOG);
  const bytes = await readOrNothing(path);
  if (!bytes) return undefined;
  const end = bytes.lastIndexOf(0x0a) + 1;
  const lines = bytes.subarray(0, end).toString('utf8').split('\n');
  lines.pop();
  // Written whole with the new base, so a log without its header line was not written by codectx.
  if (lines.length === 0) throw damaged(path, ' (no header)');
  const header = parseLine(lines[0]!) as { log?: unknown } | undefined;
  if (typeof header?.log !== 'string') throw damaged(path, ' at line 1');
  const changes = lines.slice(1).map((line, index) => {
    const change = parseLine(line);
    if (!isChange(change)) throw damaged(path, ` at line ${index + 2}`);
    return change;
  });
  return { generation: header.log, changes, bytes: end, torn: end < bytes.length };
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function isChange(value: unknown): value is Change {
  if (!Array.isArray(value) || typeof value[0] !== 'string') return false;
  if (value.length === 1) return true;
  const entry = value[1] as Partial<FileEntry> | null;
  return (
    value.length === 2 &&
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.hash === 'string' &&
    typeof entry.size === 'number' &&
    typeof entry.mtimeMs === 'number' &&
    typeof entry.chunks === 'number'
  );
}
