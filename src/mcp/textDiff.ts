/** A unified diff of two small texts (config files), for showing what `codectx init` changes. */

const CONTEXT_LINES = 3;

type Edit = { op: ' ' | '-' | '+'; line: string };

export function unifiedDiff(path: string, before: string | undefined, after: string): string {
  const old = splitLines(before ?? '');
  const edits = lineEdits(old, splitLines(after));
  const header = [`--- ${before === undefined ? '/dev/null' : `a/${path}`}`, `+++ b/${path}`];
  return [...header, ...hunks(edits)].join('\n');
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  return text.replace(/\n$/, '').split('\n');
}

/** Longest common subsequence of lines, walked into keep/delete/insert steps. */
function lineEdits(a: string[], b: string[]): Edit[] {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const common = new Uint32Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i * cols + j] =
        a[i] === b[j] ? common[(i + 1) * cols + j + 1]! + 1 : Math.max(common[(i + 1) * cols + j]!, common[i * cols + j + 1]!);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      edits.push({ op: ' ', line: a[i++]! });
      j++;
    } else if (i < a.length && (j === b.length || common[(i + 1) * cols + j]! >= common[i * cols + j + 1]!)) {
      edits.push({ op: '-', line: a[i++]! });
    } else {
      edits.push({ op: '+', line: b[j++]! });
    }
  }
  return edits;
}

/** Groups changes with a few unchanged lines around them into `@@ -a,b +c,d @@` hunks. */
function hunks(edits: Edit[]): string[] {
  const out: string[] = [];
  let index = 0;
  while (index < edits.length) {
    const firstChange = edits.findIndex((edit, at) => at >= index && edit.op !== ' ');
    if (firstChange < 0) break;
    const start = Math.max(index, firstChange - CONTEXT_LINES);
    let end = firstChange;
    // Extend while the next change is close enough that the hunks' context would touch.
    for (let at = firstChange; at < edits.length; at++) {
      if (edits[at]!.op !== ' ') end = at;
      else if (at - end > 2 * CONTEXT_LINES) break;
    }
    const stop = Math.min(edits.length, end + CONTEXT_LINES + 1);
    const slice = edits.slice(start, stop);
    const oldStart = 1 + edits.slice(0, start).filter((edit) => edit.op !== '+').length;
    const newStart = 1 + edits.slice(0, start).filter((edit) => edit.op !== '-').length;
    const oldCount = slice.filter((edit) => edit.op !== '+').length;
    const newCount = slice.filter((edit) => edit.op !== '-').length;
    out.push(`@@ -${oldCount === 0 ? oldStart - 1 : oldStart},${oldCount} +${newCount === 0 ? newStart - 1 : newStart},${newCount} @@`);
    for (const edit of slice) out.push(`${edit.op}${edit.line}`);
    index = stop;
  }
  return out;
}
