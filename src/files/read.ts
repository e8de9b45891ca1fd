import { readFile } from 'node:fs/promises';
import type { SkipReason } from './walk.js';

export type ReadOutcome = { ok: true; text: string; bytes: Buffer } | { ok: false; reason: SkipReason; detail?: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a source file as UTF-8 text, refusing binary files (a NUL byte in the first 8 KiB, as git decides)
 * and text in other encodings, rather than indexing mojibake.
 */
export async function readSourceFile(absPath: string): Promise<ReadOutcome> {
  let bytes: Buffer;
  try {
    bytes = await readFile(absPath);
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
  if (bytes.subarray(0, 8192).includes(0)) return { ok: false, reason: 'binary' };
  try {
    const text = utf8.decode(bytes);
    return { ok: true, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, bytes };
  } catch {
    return { ok: false, reason: 'not-utf8' };
  }
}
