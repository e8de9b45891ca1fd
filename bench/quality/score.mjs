// The shared scorer's hit rules (../shared/bench/run_tasks.py), in JS: a result hits a file when it names a gold
// file, and a line when its range also overlaps a gold range of that file.

/** 0-based positions of the first file hit and the first line hit among `results` (undefined when none). */
export function firstHits(results, gold, k = 10) {
  let file;
  let line;
  results.slice(0, k).forEach((r, i) => {
    const ranges = gold[r.file];
    if (!ranges) return;
    file ??= i;
    if (line === undefined && ranges.some(([a, b]) => r.startLine <= b && a <= r.endLine)) line = i;
  });
  return { file, line };
}

/** file@1, file@5, line@5, line@10 and MRR (line, @10) over a repository's cases. */
export function figures(hitsPerCase) {
  const n = hitsPerCase.length;
  const at = (key, k) => hitsPerCase.filter((h) => h[key] !== undefined && h[key] < k).length / n;
  return {
    cases: n,
    'file@1': at('file', 1),
    'file@5': at('file', 5),
    'line@5': at('line', 5),
    'line@10': at('line', 10),
    mrr: hitsPerCase.reduce((sum, h) => sum + (h.line !== undefined ? 1 / (h.line + 1) : 0), 0) / n,
  };
}
