// Manifest benchmark: bytes written for the local manifest per 512-chunk group, before (the whole manifest.json
// rewritten by every save) and after (an append to manifest.log; the base rewritten when the log outgrows it).
//   npm run bench:manifest                      10k, 100k and 1M files
//   BENCH_MANIFEST_FILES=10000,50000 npm run bench:manifest
// Bytes are the process's write() total from /proc/self/io around the saves (Linux), so temp files, the log and
// every fold count. A group is 512 chunks at 5 chunks a file: 103 files. Two cases per size:
//   first index  every file new, group after group, from an empty manifest to N files;
//   incremental  N files indexed, groups of 103 changed files (a branch switch, a large edit).
// "Before" for a first index is worked out (a sum of manifest sizes: writing hundreds of GB is not a benchmark);
// everything else is measured.
import { createHash } from 'node:crypto';
import { readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Manifest } from '../dist/index/manifest.js';
import { writeJsonAtomic } from '../dist/index/atomicFile.js';

const SIZES = (process.env.BENCH_MANIFEST_FILES ?? '10000,100000,1000000').split(',').map(Number);
const GROUP_FILES = Math.ceil(512 / 5);
const INCREMENTAL_GROUPS_BEFORE = 5;

const written = () => Number(/wchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))[1]);
const path = (n) => `src/package${n % 97}/module${n % 1009}/file${n}.ts`;
const entry = (n, version = 0) => ({
  hash: createHash('sha256').update(`${n}:${version}`).digest('hex'),
  size: 1_000 + (n % 50_000),
  mtimeMs: 1_733_299_200_000 + n * 1.371 + version,
  chunks: 1 + (n % 9),
});
const human = (bytes) =>
  bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} KB`;

/** What the old save wrote over a first index: the whole manifest after each group. */
function firstIndexBefore(files) {
  let size = JSON.stringify({ files: {} }).length;
  let total = 0;
  for (let n = 0; n < files; n++) {
    size += JSON.stringify(path(n)).length + 1 + JSON.stringify(entry(n)).length + (n > 0 ? 1 : 0);
    if ((n + 1) % GROUP_FILES === 0 || n === files - 1) total += size;
  }
  return { total, final: size };
}

async function measure(files) {
  const dir = mkdtempSync(join(tmpdir(), 'codectx-bench-manifest-'));
  try {
    const groups = Math.ceil(files / GROUP_FILES);
    const manifest = await Manifest.load(dir);
    let start = written();
    let started = performance.now();
    for (let n = 0; n < files; n++) {
      manifest.files.set(path(n), entry(n));
      if ((n + 1) % GROUP_FILES === 0 || n === files - 1) await manifest.save();
    }
    const firstAfter = written() - start;
    const firstSeconds = (performance.now() - started) / 1000;
    const before = firstIndexBefore(files);

    // Incremental after: groups of changed files from one base rewrite to the next, so the mean is the amortized
    // cost (appends plus one fold); the first group after a fold is a plain append.
    const base = join(dir, 'manifest.json');
    let version = 0;
    const changeGroup = async () => {
      version++;
      for (let i = 0; i < GROUP_FILES; i++) {
        const n = (version * GROUP_FILES + i) % files;
        manifest.files.set(path(n), entry(n, version));
      }
      await manifest.save();
    };
    const untilFold = async () => {
      const inode = statSync(base).ino;
      let groups = 0;
      while (statSync(base).ino === inode) {
        await changeGroup();
        groups++;
      }
      return groups;
    };
    await untilFold();
    start = written();
    await changeGroup();
    const append = written() - start;
    started = performance.now();
    const incremental = 1 + (await untilFold());
    const incrementalAfter = (written() - start) / incremental;
    const incrementalAfterMs = (performance.now() - started) / incremental;

    // Incremental before: the old save, the whole manifest through a temp file.
    start = written();
    started = performance.now();
    for (let g = 0; g < INCREMENTAL_GROUPS_BEFORE; g++) await writeJsonAtomic(join(dir, 'old.json'), { files: Object.fromEntries(manifest.files) });
    const incrementalBefore = (written() - start) / INCREMENTAL_GROUPS_BEFORE;
    const incrementalBeforeMs = (performance.now() - started) / INCREMENTAL_GROUPS_BEFORE;

    console.log(`\n${files.toLocaleString('en')} files (manifest ${human(before.final)}, ${groups} groups of ${GROUP_FILES} files)`);
    console.log(`  first index, total:      before ${human(before.total)} (worked out), after ${human(firstAfter)} (${firstSeconds.toFixed(1)} s)`);
    console.log(`  first index, per group:  before ${human(before.total / groups)}, after ${human(firstAfter / groups)}`);
    console.log(
      `  incremental, per group:  before ${human(incrementalBefore)} (${incrementalBeforeMs.toFixed(0)} ms), ` +
        `after ${human(append)} an append, ${human(incrementalAfter)} amortized (${incrementalAfterMs.toFixed(1)} ms; ${incremental} groups a base rewrite)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const files of SIZES) await measure(files);
