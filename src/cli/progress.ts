import type { IndexProgress } from '../index/indexer.js';

/**
 * Indexing progress for people: one redrawn line on a terminal, a plain line every few seconds otherwise
 * (CI logs, pipes), nothing at all with --quiet.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): {
  update: (progress: IndexProgress) => void;
  finish: () => void;
} {
  const tty = stream.isTTY === true;
  let lastPlain = 0;
  let drawn = false;
  return {
    update(progress) {
      if (progress.phase === 'done' || progress.filesTotal === 0) return;
      const line = describe(progress);
      if (tty) {
        stream.write(`\r\x1b[2K${line}`);
        drawn = true;
      } else if (Date.now() - lastPlain > 5000) {
        stream.write(`${line}\n`);
        lastPlain = Date.now();
      }
    },
    finish() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}

function describe(p: IndexProgress): string {
  const fraction = p.chunksTotal > 0 ? p.chunksDone / p.chunksTotal : p.filesDone / Math.max(1, p.filesTotal);
  const width = 24;
  const filled = Math.round(Math.min(1, fraction) * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const rate = p.embeddingsPerSecond > 0 ? `${p.embeddingsPerSecond.toFixed(1)} emb/s` : '';
  const remaining = p.chunksTotal - p.chunksDone;
  const eta = p.embeddingsPerSecond > 0 && remaining > 0 ? `ETA ${formatSeconds(remaining / p.embeddingsPerSecond)}` : '';
  return [bar, `files ${p.filesDone}/${p.filesTotal}`, `chunks ${p.chunksDone}/${p.chunksTotal}`, rate, eta]
    .filter(Boolean)
    .join('  ');
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
