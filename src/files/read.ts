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

/** A file's bytes as the text codectx indexes, or why it indexes none: binary, not UTF-8, or minified. */
export function decodeSource(bytes: Buffer): ReadOutcome {
  if (bytes.subarray(0, 8192).includes(0)) return { ok: false, reason: 'binary' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'not-utf8' };
  }
  if (looksMinified(text)) return { ok: false, reason: 'minified' };
  return { ok: true, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, bytes };
}

/** Bundles and generated one-liners: no line structure to chunk, and nothing a person would search for. */
const MINIFIED_AVERAGE_LINE = 500;

function looksMinified(text: string): boolean {
  if (text.length < 4 * MINIFIED_AVERAGE_LINE) return false;
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return text.length / lines > MINIFIED_AVERAGE_LINE;
}
