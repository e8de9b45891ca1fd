import type { IndexProgress } from '../index/indexer.js';
import { wantsColor } from './color.js';

/** Redraws at most this often: the counting pass reports every file, thousands a second. */
const REDRAW_MS = 100;
/** Off a terminal, a plain line at most this often. */
const PLAIN_EVERY_MS = 5000;

/**
 * Indexing progress for people: one redrawn line on a terminal, a plain line every few seconds otherwise
 * (CI logs, pipes), nothing at all with --quiet. The totals are counted before embedding starts, and what is
 * shown never moves back (a file edited mid-run may change them a little).
 */
export function progressReporter(
  silent: boolean,
  stream: NodeJS.WriteStream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
  now: () => number = Date.now,
): {
  update: (progress: IndexProgress) => void;
  /** Clears the drawn line, so whatever is printed next starts on a clean line. */
  finish: () => void;
  /** The last progress seen: what the index held then. */
  last: () => IndexProgress | undefined;
} {
  const tty = stream.isTTY === true;
  const color = wantsColor('auto', tty, env);
  const shown = { fraction: 0, filesDone: 0, chunksDone: 0 };
  let embedStarted = 0;
  let lastDraw = 0;
  let lastPlain: number | undefined;
  let countShown = false;
  let drawn = false;
  let latest: IndexProgress | undefined;
  return {
    update(progress) {
      latest = progress;
      if (silent || progress.phase === 'done') return;
      if (progress.phase === 'embed' && embedStarted === 0) embedStarted = now();
      const empty = progress.phase === 'count' ? progress.filesToCount === 0 : progress.filesTotal === 0;
      if (empty) return;
      const line = progress.phase === 'count' ? describeCount(progress) : describeEmbed(forward(shown, progress), now() - embedStarted, color);
      if (tty) {
        if (now() - lastDraw < REDRAW_MS && drawn) return;
        stream.write(`\r\x1b[2K${line}`);
        lastDraw = now();
        drawn = true;
      } else {
        // A log keeps every line: the first one, drawn at once, named the count's first file for the whole run.
        // So: the count when it is complete, then a line every 5 s, the first of them 5 s in.
        const counted = progress.phase === 'count' && progress.filesCounted >= progress.filesToCount;
        lastPlain ??= now();
        if ((counted && !countShown) || now() - lastPlain >= PLAIN_EVERY_MS) {
          stream.write(`${line}\n`);
          lastPlain = now();
          if (progress.phase === 'count') countShown = counted;
        }
      }
    },
    finish() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
    last: () => latest,
  };
}

interface Shown {
  fraction: number;
  filesDone: number;
  chunksDone: number;
}

/** What to draw: never less than what was drawn before. */
function forward(shown: Shown, p: IndexProgress): Shown & { filesTotal: number; chunksTotal: number; embedded: number; rate: number } {
  const fraction = p.chunksTotal > 0 ? p.chunksDone / p.chunksTotal : p.filesDone / Math.max(1, p.filesTotal);
  shown.fraction = Math.max(shown.fraction, Math.min(1, fraction));
  shown.filesDone = Math.max(shown.filesDone, Math.min(p.filesDone, p.filesTotal));
  shown.chunksDone = Math.max(shown.chunksDone, Math.min(p.chunksDone, p.chunksTotal));
  return { ...shown, filesTotal: p.filesTotal, chunksTotal: p.chunksTotal, embedded: p.embedded, rate: p.embeddingsPerSecond };
}

function describeCount(p: IndexProgress): string {
  return `counting changes: ${p.filesCounted}/${p.filesToCount} files read`;
}

function describeEmbed(s: ReturnType<typeof forward>, elapsedMs: number, color: boolean): string {
  const width = 24;
  const filled = Math.round(s.fraction * width);
  const done = '#'.repeat(filled);
  const bar = `[${color ? `\x1b[32m${done}\x1b[0m` : done}${'-'.repeat(width - filled)}] ${Math.floor(s.fraction * 100)}%`;
  const rate = s.rate > 0 ? `${s.rate.toFixed(1)} emb/s` : '';
  // From the share done so far over the whole run: a known total keeps it from jumping as files are read.
  const eta = s.fraction > 0 && s.fraction < 1 && elapsedMs > 0 ? `ETA ${formatSeconds(((elapsedMs / 1000) * (1 - s.fraction)) / s.fraction)}` : '';
  return [bar, `files ${s.filesDone}/${s.filesTotal}`, `chunks ${s.chunksDone}/${s.chunksTotal}`, rate, eta].filter(Boolean).join('  ');
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
