import { readFile, realpath } from 'node:fs/promises';
import { isInside, type SkipReason } from './walk.js';

export type ReadOutcome = { ok: true; text: string; bytes: Buffer } | { ok: false; reason: SkipReason; detail?: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a source file of the codebase at `rootReal` (a real path) as UTF-8 text, refusing binary files (a NUL
 * byte in the first 8 KiB, as git decides) and text in other encodings, rather than indexing mojibake. The real
 * path is checked again here: a file swapped for a link out of the root after the walk is not read.
 */
export async function readSourceFile(absPath: string, rootReal: string): Promise<ReadOutcome> {
  let bytes: Buffer;
  try {
    if (!isInside(rootReal, await realpath(absPath))) return { ok: false, reason: 'outside-root', detail: 'a link out of the codebase' };
    bytes = await readFile(absPath);
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
  return decodeSource(bytes);
}

/**
 * A file's bytes as the text codectx indexes, or why it indexes none: binary, not UTF-8, or minified. Random
 * bytes without a NUL were "minified" (one long line) and UTF-16 text was "binary" (its NULs); both misled.
 */
export function decodeSource(bytes: Buffer): ReadOutcome {
  const head = bytes.subarray(0, 8192);
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    return { ok: false, reason: 'not-utf8', detail: 'UTF-16, by its byte order mark' };
  }
  if (head.includes(0) || controlShare(head) > BINARY_CONTROL_SHARE) return { ok: false, reason: 'binary' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'not-utf8' };
  }
  if (looksMinified(text)) return { ok: false, reason: 'minified' };
  return { ok: true, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, bytes };
}

/**
 * Text has almost no control characters besides tab, line ends, form feed and ESC (colour codes); random or
 * packed bytes have about one in ten, and some formats none that is NUL.
 */
const BINARY_CONTROL_SHARE = 0.05;

function controlShare(head: Buffer): number {
  let controls = 0;
  for (const byte of head) if ((byte < 0x20 && !TEXT_CONTROLS.has(byte)) || byte === 0x7f) controls++;
  return head.length === 0 ? 0 : controls / head.length;
}

const TEXT_CONTROLS = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b]);

/** Bundles and generated one-liners: no line structure to chunk, and nothing a person would search for. */
const MINIFIED_AVERAGE_LINE = 500;

function looksMinified(text: string): boolean {
  if (text.length < 4 * MINIFIED_AVERAGE_LINE) return false;
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return text.length / lines > MINIFIED_AVERAGE_LINE;
}
