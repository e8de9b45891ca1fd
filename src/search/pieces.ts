import { memberName, NAME_SEPARATOR, symbolNames } from '../chunk/symbolNames.js';
import { escapeRegExp } from '../regexp.js';
import type { FusedHit } from '../store/hybrid.js';
import type { ChunkRecord, FileLines } from '../store/types.js';
import { answers } from './lineLookups.js';
import type { SearchResult } from './types.js';

/** A ranked hit and the hits joined into it. */
export interface GroupedHit extends FusedHit {
  /**
   * Lines of its range that none of the joined chunks hold, blank in its content: blank lines of the file, or
   * chunks the ranking left out (a long line between two functions), which fillGaps writes in.
   */
  gaps: FileLines[];
}

/**
 * One answer, one result slot. A definition too large for one chunk is split into pieces that share its symbol;
 * and two neighbouring chunks of one file that both rank near the top are usually one answer too (a function and
 * the table it reads, a method and its helper below it). Either way they would fill two or three slots with one
 * answer, so a hit joins the better-ranked result next to it (the result's range grows) and the slot goes to the
 * next answer. Pieces of a definition join at any rank; plain neighbours only when ranked within `joinWithin`
 * (chosen by bench/quality/tune.mjs), and never past MAX_JOINED_LINES.
 */
export function groupPieces(ranked: FusedHit[], limit: number, joinWithin = 0): GroupedHit[] {
  const taken: GroupedHit[] = [];
  for (const [index, hit] of ranked.entries()) {
    const sibling = taken.find((t) => samePieceRun(t.chunk, hit.chunk) || (index < joinWithin && neighbours(t.chunk, hit.chunk)));
    if (sibling) {
      joinInto(sibling, hit.chunk);
      // Grown, it may now touch a piece of its definition that took a slot of its own (pieces 1 and 3 ranked
      // before piece 2): one definition, one slot, under the better-ranked of the two.
      const other = taken.find((t) => t !== sibling && samePieceRun(t.chunk, sibling.chunk));
      if (other) {
        const [kept, joined] = taken.indexOf(other) < taken.indexOf(sibling) ? [other, sibling] : [sibling, other];
        joinInto(kept, joined.chunk);
        kept.gaps.push(...joined.gaps);
        taken.splice(taken.indexOf(joined), 1);
      }
      continue;
    }
    if (taken.length === limit) break;
    taken.push({ ...hit, gaps: [] });
  }
  return taken;
}

function joinInto(result: GroupedHit, chunk: ChunkRecord): void {
  const gap = linesBetween(result.chunk, chunk);
  if (gap) result.gaps.push(gap);
  result.chunk = joinPieces(result.chunk, chunk);
}

/** The results with the lines of `found` (chunks of the store, see ChunkStore.chunksAt) written into their gaps. */
export function fillGaps(results: GroupedHit[], found: ChunkRecord[]): GroupedHit[] {
  return results.map((result) => {
    const { chunk, gaps } = result;
    const lines = chunk.content.split('\n');
    for (const gap of gaps) {
      for (const piece of found) {
        if (piece.file !== chunk.file) continue;
        const pieceLines = piece.content.split('\n');
        for (let line = Math.max(gap.startLine, piece.startLine); line <= Math.min(gap.endLine, piece.endLine); line++) {
          lines[line - chunk.startLine] = pieceLines[line - piece.startLine] ?? '';
        }
      }
    }
    return gaps.length > 0 ? { ...result, chunk: { ...chunk, content: lines.join('\n') } } : result;
  });
}

// Pieces of one definition are cut at statement boundaries; blank lines between them may belong to neither.
const MAX_GAP_LINES = 2;
// A joined result stays a snippet, not a file: about three chunks of ordinary code.
const MAX_JOINED_LINES = 120;

function gapBetween(a: ChunkRecord, b: ChunkRecord): number {
  return b.startLine > a.endLine ? b.startLine - a.endLine - 1 : a.startLine - b.endLine - 1;
}

/** The lines between two chunks of one file, if any. */
function linesBetween(a: ChunkRecord, b: ChunkRecord): FileLines | undefined {
  const [first, second] = a.startLine < b.startLine ? [a, b] : [b, a];
  return second.startLine > first.endLine + 1 ? { file: a.file, startLine: first.endLine + 1, endLine: second.startLine - 1 } : undefined;
}

/** Whether two chunks are pieces of one definition: same file, name, owner and kind. */
function sameDefinition(a: ChunkRecord, b: ChunkRecord): boolean {
  return a.file === b.file && a.symbol !== '' && a.symbol === b.symbol && a.container === b.container && a.kind === b.kind;
}

function samePieceRun(a: ChunkRecord, b: ChunkRecord): boolean {
  if (!sameDefinition(a, b)) return false;
  const gap = gapBetween(a, b);
  return gap >= 0 && gap <= MAX_GAP_LINES;
}

function neighbours(a: ChunkRecord, b: ChunkRecord): boolean {
  if (a.file !== b.file) return false;
  const gap = gapBetween(a, b);
  return gap >= 0 && gap <= MAX_GAP_LINES && Math.max(a.endLine, b.endLine) - Math.min(a.startLine, b.startLine) < MAX_JOINED_LINES;
}

function joinPieces(a: ChunkRecord, b: ChunkRecord): ChunkRecord {
  const [first, second] = a.startLine < b.startLine ? [a, b] : [b, a];
  const blank = '\n'.repeat(second.startLine - first.endLine);
  // Neighbours keep both names, the better-ranked hit's first ("verifyPassword, User"): it is what the search
  // found, the other came along as its neighbour.
  const names = [...new Set([a, b].flatMap((c) => symbolNames(c.symbol)))];
  // The kind and owner go with the first name: an unnamed block joined to a function read "credentialsInText [block]".
  const { kind, container } = a.symbol !== '' || b.symbol === '' ? a : b;
  return { ...a, kind, container, symbol: names.join(NAME_SEPARATOR), startLine: first.startLine, endLine: second.endLine, content: `${first.content}${blank}${second.content}` };
}

/** `264-317`, or `264-317 of 264-337` for a part of a definition split for size. */
export function lineRange(result: Pick<SearchResult, 'startLine' | 'endLine' | 'definition'>): string {
  const whole = result.definition ? ` of ${result.definition.startLine}-${result.definition.endLine}` : '';
  return `${result.startLine}-${result.endLine}${whole}`;
}

/** The whole of a definition split for size that a result holds only part of. */
export interface DefinitionExtent {
  startLine: number;
  endLine: number;
  /** Its pieces outside the result, and definitions nested between them, in line order. */
  rest: ChunkRecord[];
}

// Lines read past an edge of a result by the first lookup; each further lookup for a longer definition reads twice as far.
const EXTENT_WINDOW = 200;

type Side = 'before' | 'after';

interface Run {
  chunk: ChunkRecord;
  startLine: number;
  endLine: number;
  /** Chunks of the definition outside the result found so far (pieces, and definitions nested between them). */
  near: ChunkRecord[];
  before: boolean;
  after: boolean;
  /** Same-named pieces past a gap on a side, waiting for the lookup of the gap's lines (see `jumpOver`). */
  jumps: { side: Side; piece: ChunkRecord; gap: FileLines }[];
  /** Every same-named chunk the lookups found, and the lines they read (a crossed side goes on with what they hold). */
  named: ChunkRecord[];
  lowest: number;
  highest: number;
}

/**
 * For each result named after one definition, the whole definition when the index holds more pieces of it than the
 * result joined (see groupPieces): a result ranks only the pieces that matched, so `respond` may come back as lines
 * 264-317 of 264-337, and whoever reads it, a model told to change it most of all, must not take it for the whole.
 * One lookup for all results; a definition longer than the window takes another, reading twice as far, and one
 * with a function nested between two of its pieces another for the lines between.
 */
export async function definitionExtents(
  results: ChunkRecord[],
  chunksAt: (lines: FileLines[]) => Promise<ChunkRecord[]>,
): Promise<(DefinitionExtent | undefined)[]> {
  const runs: (Run | undefined)[] = results.map((chunk) => {
    if (symbolNames(chunk.symbol).length !== 1) return undefined;
    const { before, after } = mayContinue(chunk);
    return { chunk, startLine: chunk.startLine, endLine: chunk.endLine, near: [], before, after, jumps: [], named: [], lowest: chunk.startLine, highest: chunk.endLine };
  });
  for (let window = EXTENT_WINDOW; runs.some((run) => run && (run.before || run.after || run.jumps.length > 0)); window *= 2) {
    const wanted = runs.flatMap((run) => {
      if (!run) return [];
      const { file, symbol, container, kind } = run.chunk;
      const definition = { symbol, container, kind };
      const before = run.before && run.startLine > 1 ? [{ file, startLine: Math.max(1, run.startLine - window), endLine: run.startLine - 1, definition }] : [];
      const after = run.after ? [{ file, startLine: run.endLine + 1, endLine: run.endLine + window, definition }] : [];
      if (run.before) run.lowest = run.startLine - window;
      if (run.after) run.highest = run.endLine + window;
      return [...before, ...after, ...run.jumps.map((jump) => jump.gap)];
    });
    const found = await chunksAt(wanted);
    for (const run of runs) {
      if (!run) continue;
      run.named.push(...found.filter((piece) => sameDefinition(run.chunk, piece) && !run.named.some((seen) => seen.id === piece.id)));
      const crossed = landJumps(run, found);
      for (const side of ['before', 'after'] as const) {
        if (!run[side] && !crossed.includes(side)) continue;
        extendRun(run, run.named, side);
        // Still open when the next piece may lie past what the lookups read.
        run[side] = side === 'before' ? run.startLine - 1 - MAX_GAP_LINES < run.lowest : run.endLine + 1 + MAX_GAP_LINES > run.highest;
        if (!run[side]) jumpOver(run, run.named, side);
      }
    }
  }
  return runs.map((run) => {
    if (!run || run.near.length === 0) return undefined;
    const rest = ownPieces(run.chunk, run.near);
    if (rest.length === 0) return undefined;
    const span = [run.chunk, ...rest];
    return { startLine: Math.min(...span.map((c) => c.startLine)), endLine: Math.max(...span.map((c) => c.endLine)), rest };
  });
}

/**
 * A function nested in a definition split for size is a chunk of its own between two of its pieces (express's
 * `res.redirect` holds `function html`), so the pieces past it are not next to the run. When the run's edge piece
 * goes on past its last line (or starts inside the body) and a piece of the name lies past a gap, the gap's lines
 * are looked up next (every chunk there, whatever its name), and `landJumps` crosses it if they are all nested.
 */
function jumpOver(run: Run, named: ChunkRecord[], side: Side): void {
  const edge = edgeOf(run, side);
  const beyond = named
    .filter((piece) => (side === 'before' ? piece.endLine < run.startLine - 1 : piece.startLine > run.endLine + 1))
    .sort((a, b) => (side === 'before' ? b.endLine - a.endLine : a.startLine - b.startLine))[0];
  if (!beyond) return;
  // The piece after the gap must start inside the body, and the one before it may run on past its last line.
  const [first, later] = side === 'before' ? [beyond, edge] : [edge, beyond];
  if (opensDefinition(later) || !mayContinue(first).after) return;
  const gap = { file: run.chunk.file, startLine: first.endLine + 1, endLine: later.startLine - 1 };
  run.jumps.push({ side, piece: beyond, gap });
}

/** The run's outermost chunk on a side. */
function edgeOf(run: Run, side: Side): ChunkRecord {
  return [run.chunk, ...run.near].reduce((a, b) => ((side === 'before' ? b.startLine < a.startLine : b.endLine > a.endLine) ? b : a));
}

/** Crosses the gaps whose chunks all lie inside the body (indented as deep as the piece after them); the sides it crossed on. */
function landJumps(run: Run, found: ChunkRecord[]): Side[] {
  const crossed: Side[] = [];
  for (const { side, piece, gap } of run.jumps) {
    const between = found.filter((chunk) => answers(gap, chunk));
    const later = side === 'before' ? edgeOf(run, 'before') : piece;
    if (!between.every((chunk) => !sameDefinition(run.chunk, chunk) && indentOf(chunk.content) >= indentOf(later.content))) continue;
    run.near.push(...between, piece);
    if (side === 'before') run.startLine = piece.startLine;
    else run.endLine = piece.endLine;
    crossed.push(side);
  }
  run.jumps = [];
  return crossed;
}

/** A result's `definition` field (see SearchResult): its whole definition's lines, and its text when asked for. */
export function definitionOf(chunk: ChunkRecord, extent: DefinitionExtent | undefined, withText: boolean): Pick<SearchResult, 'definition'> {
  if (!extent) return {};
  const { startLine, endLine } = extent;
  if (!withText) return { definition: { startLine, endLine } };
  // Lines between two pieces that neither holds are blank lines of the file (see groupPieces).
  const lines: string[] = new Array(endLine - startLine + 1).fill('');
  for (const piece of [chunk, ...extent.rest]) lines.splice(piece.startLine - startLine, piece.endLine - piece.startLine + 1, ...piece.content.split('\n'));
  return { definition: { startLine, endLine, content: lines.join('\n') } };
}

/** Grows the run by the same-named chunks next to it on one side, one after the other. */
function extendRun(run: { startLine: number; endLine: number; near: ChunkRecord[] }, named: ChunkRecord[], side: Side): void {
  for (;;) {
    const next = named.find((piece) => {
      const gap = side === 'before' ? run.startLine - piece.endLine - 1 : piece.startLine - run.endLine - 1;
      return gap >= 0 && gap <= MAX_GAP_LINES;
    });
    if (!next) return;
    run.near.push(next);
    if (side === 'before') run.startLine = next.startLine;
    else run.endLine = next.endLine;
  }
}

/**
 * Of the same-named chunks next to a result, those of its own definition. Neighbours that share a name are not
 * always one definition cut for size: a getter and its setter, overloads, a Python property and its setter. Every
 * piece after a definition's first starts inside its body, indented deeper than its first line; a chunk that starts
 * no deeper than the first line of the definition before it starts a definition of its own.
 */
function ownPieces(result: ChunkRecord, near: ChunkRecord[]): ChunkRecord[] {
  const run = [result, ...near].sort((a, b) => a.startLine - b.startLine);
  const definitions: ChunkRecord[][] = [];
  for (const chunk of run) {
    const current = definitions.at(-1);
    if (current && continues(current[0]!, chunk)) current.push(chunk);
    else definitions.push([chunk]);
  }
  return definitions.find((definition) => definition.includes(result))!.filter((chunk) => chunk !== result);
}

/**
 * Which sides of a chunk other pieces of its definition may lie on, by the rule of `continues` (a lookup costs ~5 ms
 * of a search at 100k chunks): none before a chunk that opens with its definition's header; none after one that
 * ends no deeper than its definition's first line (a closing `}` or `end`), unless it may start inside a body. So
 * a whole method (most results in brace languages) needs no lookup. (A first piece that ends at column 0 inside a
 * multi-line string reads as whole: its text cannot tell that line from a closing `}`.)
 */
function mayContinue(chunk: ChunkRecord): { before: boolean; after: boolean } {
  if (chunk.kind === 'section') return { before: !/^#/.test(chunk.content), after: true };
  // An unindented chunk that names its definition on an unindented line holds its header (statements of the file
  // joined above a function: `const x = require('x')`); one that does not opens inside a body (a multi-line string).
  const headerWithin = indentOf(chunk.content) === 0 && chunk.content.split('\n').some((line) => indentOf(line) === 0 && namesIt(chunk).test(line));
  const before = !opensDefinition(chunk) && !headerWithin;
  return { before, after: before || indentOf(chunk.content.slice(chunk.content.lastIndexOf('\n') + 1)) > headerIndent(chunk) };
}

/** Comments, decorators, annotations, attributes and blank lines: what may come before a definition's header. */
const PREAMBLE = /^\s*($|\/\/|\/\*|\*|#|@|--|;)/;

/**
 * Whether the chunk opens with its definition: the first line naming it (not as `x.name`, a use) comes after
 * nothing but preamble, at the indentation of the chunk's first line. A later piece opens inside the body, with a
 * statement; one that opens by calling its own definition (`return walk(next)`) would be taken for the first, and
 * its result's `definition` would then miss the pieces above it.
 */
function opensDefinition(chunk: ChunkRecord): boolean {
  const name = new RegExp(`(?<![\\w$.])${escapeRegExp(memberName(chunk.symbol))}(?![\\w$])`);
  const lines = chunk.content.split('\n');
  for (const line of lines) {
    if (name.test(line)) return indentOf(line) === indentOf(lines[0]!);
    if (!PREAMBLE.test(line)) return false;
  }
  return false;
}

function continues(first: ChunkRecord, later: ChunkRecord): boolean {
  // A Markdown section is not indented: its later pieces are the ones that do not open with a heading.
  if (first.kind === 'section') return !/^#/.test(later.content);
  // A piece may also open at column 0 inside the body (a multi-line string, C's `#ifdef`): one that does not open
  // with the definition's header continues it too.
  return indentOf(later.content) > headerIndent(first) || !opensDefinition(later);
}

/**
 * The indentation of a definition's first line: the first that names it (`set length(n) {`, `def name`), as a
 * chunk may open with lines of what holds it (`module.exports = {`), else the chunk's first.
 */
function headerIndent(chunk: ChunkRecord): number {
  const lines = chunk.content.split('\n');
  return indentOf(lines.find((line) => namesIt(chunk).test(line)) ?? lines[0]!);
}

/** A line naming the chunk's definition (`set length(n) {`, `def name`, `respond(ctx)`). */
function namesIt(chunk: ChunkRecord): RegExp {
  return new RegExp(`(?<![\\w$])${escapeRegExp(memberName(chunk.symbol))}(?![\\w$])`);
}

function indentOf(content: string): number {
  return /^[ \t]*/.exec(content)![0].length;
}
