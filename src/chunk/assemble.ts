/**
 * From a definition tree to chunks. Each level (the file, or a definition being broken up) is a sequence of
 * pieces: its own lines between child definitions, and the children. A definition that fits the budget is one
 * chunk, nested functions included; a type (class, trait, impl, ...) with members is always broken up so
 * methods are chunks of their own; anything else too large is broken up too. Own lines too large are cut at
 * syntax boundaries (see split.ts). Then tiny neighbours are merged so the index is not flooded with
 * three-line scraps.
 */
import type { Definition, Label } from './definitions.js';
import { packRange, type CutsFor } from './split.js';
import type { LineCosts } from './tokens.js';
import { NAME_SEPARATOR } from './symbolNames.js';
import type { Chunk, ChunkKind } from './types.js';

const BROKEN_UP_WHEN_MEMBERS = new Set<ChunkKind>(['class', 'interface', 'struct', 'enum', 'trait', 'impl', 'module', 'section']);
const MAX_SYMBOL_CHARS = 100;

export interface Layout {
  file: string;
  language: string;
  lines: readonly string[];
  costs: LineCosts;
  cuts: CutsFor;
  budget: number;
  /** Pieces below this many tokens are merged with neighbours, even if that exceeds the budget by as much. */
  minTokens: number;
  /** Names for top-level lines that would have none (C macros): they name without cutting. */
  labels: readonly Label[];
  /**
   * Whether a row opens a statement or comment of its own, rather than closing something opened above (`}`,
   * `end`, `#endif`). Without a syntax tree, no row does.
   */
  opensNode: (row: number) => boolean;
}

interface Piece {
  first: number;
  last: number;
  kind: ChunkKind;
  symbol: string;
  container: string;
  /** Names of the definitions merged into this piece (for the merged symbol). */
  names: string[];
  /**
   * header: a definition's first lines; own: its later lines; unit: a whole definition; part: a piece of lines
   * cut for size; done: a piece of a child definition that was broken up (final, but may absorb scraps).
   */
  role: 'header' | 'own' | 'unit' | 'part' | 'done';
}

export function assemble(layout: Layout, definitions: Definition[]): Chunk[] {
  const root: Definition = {
    kind: 'block',
    symbol: '',
    first: 0,
    last: layout.lines.length - 1,
    children: definitions,
  };
  return breakUp(layout, root, '', true).map((piece) => toChunk(layout, piece));
}

function expand(layout: Layout, def: Definition, container: string): Piece[] {
  const fits = layout.costs.range(def.first, def.last) <= layout.budget;
  const mustBreak = def.children.length > 0 && (!fits || BROKEN_UP_WHEN_MEMBERS.has(def.kind));
  if (mustBreak) return breakUp(layout, def, container, false).map((piece) => ({ ...piece, role: 'done' }));
  const unit: Piece = { first: def.first, last: def.last, kind: def.kind, symbol: def.symbol, container, names: [def.symbol], role: 'unit' };
  if (fits) return [unit];
  return cutOwnLines(layout, def, container, def.first, def.last, 'header');
}

function breakUp(layout: Layout, def: Definition, outer: string, isFile: boolean): Piece[] {
  const container = def.container ?? outer;
  const inner = isFile ? '' : (def.scope ?? def.symbol);
  // A function broken up for size keeps its small nested functions (callbacks, one-line helpers) in its lines,
  // and its first lines have no header role: a lone `describe('x', function () {` joins what follows.
  const keepsSmall = !isFile && !BROKEN_UP_WHEN_MEMBERS.has(def.kind);
  const children = keepsSmall ? def.children.filter((child) => cost(layout, child.first, child.last) >= layout.budget / 4) : def.children;
  const pieces: Piece[] = [];
  let row = def.first;
  for (const child of children) {
    const isHeader = row === def.first && BROKEN_UP_WHEN_MEMBERS.has(def.kind);
    pieces.push(...cutOwnLines(layout, def, container, row, child.first - 1, isHeader ? 'header' : 'own'));
    pieces.push(...expand(layout, child, child.container ?? inner));
    row = child.last + 1;
  }
  pieces.push(...cutOwnLines(layout, def, container, row, def.last, 'own'));
  // A function's statements are its own (`return wrapper` is not the nested wrapper's); a type's (a field, Ruby's
  // `private`) go with its members. A file's tiny statement still joins the definition before it (`module.exports`,
  // a constant after a function): keeping those apart cost 0.009 of the LOO line@5 (bench/quality/RESULTS.md).
  const ownStatements = keepsSmall;
  return mergeTiny(layout, isFile ? pieces.map((piece) => labelled(layout, piece)) : pieces, ownStatements);
}

/** Top-level lines named by the labels on them (`#define MAX(a, b)` → function MAX), as merged definitions are. */
function labelled(layout: Layout, piece: Piece): Piece {
  if (piece.symbol !== '' || (piece.role !== 'own' && piece.role !== 'part')) return piece;
  const labels = layout.labels.filter((label) => label.first <= piece.last && label.last >= piece.first);
  if (labels.length === 0) return piece;
  const names = [...new Set(labels.map((label) => label.symbol))];
  return { ...piece, kind: labels[0]!.kind, symbol: listNames(names), names };
}

/** A definition's own lines first..last (blank lines at the ends dropped), cut to the budget. */
function cutOwnLines(layout: Layout, def: Definition, container: string, first: number, last: number, role: 'header' | 'own'): Piece[] {
  const { lines } = layout;
  ({ first, last } = trimBlank(lines, { first, last }));
  if (first > last) return [];
  const cuts = layout.costs.range(first, last) > layout.budget ? layout.cuts() : undefined;
  const parts = packRange(first, last, layout.costs, cuts, layout.budget, layout.minTokens)
    .map((part) => trimBlank(lines, part))
    .filter((part) => part.first <= part.last);
  return parts.map((part): Piece => ({ ...part, kind: def.kind, symbol: def.symbol, container, names: [], role: parts.length > 1 ? 'part' : role }));
}

/** Blank lines at either end belong to no chunk. */
function trimBlank(lines: readonly string[], range: { first: number; last: number }): { first: number; last: number } {
  let { first, last } = range;
  while (first <= last && lines[first]!.trim() === '') first++;
  while (last >= first && lines[last]!.trim() === '') last--;
  return { first, last };
}

function cost(layout: Layout, first: number, last: number): number {
  return layout.costs.range(first, last);
}

/**
 * Runs of tiny whole definitions and own lines become one chunk (up to the budget), and a type's header keeps the
 * tiny members that follow it (a class chunk holds its fields and one-line methods). A tiny leftover of own lines
 * (a closing brace, a field between methods) then joins the piece before it, or after it; a statement of a
 * function broken up for size only the piece after it, or stays alone.
 */
function mergeTiny(layout: Layout, pieces: Piece[], ownStatements: boolean): Piece[] {
  const tiny = (p: Piece) => cost(layout, p.first, p.last) < layout.minTokens;
  const joinable = (p: Piece) => (p.role === 'unit' || p.role === 'own') && tiny(p);
  const runs: Piece[] = [];
  const merged = new Set<Piece>();
  for (const piece of pieces) {
    const previous = runs.at(-1);
    const opensRun = previous && (previous.role === 'header' || merged.has(previous) || joinable(previous));
    if (opensRun && joinable(piece) && cost(layout, previous.first, piece.last) <= layout.budget) {
      runs[runs.length - 1] = join(previous, piece);
      merged.add(runs.at(-1)!);
    } else {
      runs.push({ ...piece });
    }
  }
  const folded: Piece[] = [];
  for (let i = 0; i < runs.length; i++) {
    const piece = runs[i]!;
    const previous = folded.at(-1);
    const next = runs[i + 1];
    if (piece.role === 'own' && tiny(piece)) {
      // Slack of one scrap, as in packRange: a closing brace is better over budget than alone. A statement of
      // the owner's is not (`return wrapper` after the nested `wrapper`).
      const foreign = ownStatements && layout.opensNode(piece.first);
      if (previous && !foreign && cost(layout, previous.first, piece.last) < layout.budget + layout.minTokens) {
        previous.last = piece.last;
        continue;
      }
      if (next && cost(layout, piece.first, next.last) < layout.budget + layout.minTokens) {
        // The chunk now opens inside the scrap's owner: name that first (`outer, inner`), as its container does.
        if (piece.symbol && piece.symbol !== next.symbol) {
          next.symbol = `${piece.symbol}, ${next.symbol}`;
          next.container = piece.container;
        }
        next.first = piece.first;
        continue;
      }
    }
    folded.push(piece);
  }
  return folded;
}

/** Symbol of a run: the header's name, else the names of the definitions in it, else its owner's symbol. */
function join(a: Piece, b: Piece): Piece {
  if (a.role === 'header') return { ...a, last: b.last };
  const names = [...a.names, ...b.names.filter((name) => !a.names.includes(name))];
  const named = a.names.length > 0 ? a : b.names.length > 0 ? b : a;
  return {
    first: a.first,
    last: b.last,
    kind: named.kind,
    symbol: names.some(Boolean) ? listNames(names) : named.symbol,
    container: named.container,
    names,
    role: a.role === 'unit' || b.role === 'unit' ? 'unit' : 'own',
  };
}

/** Names joined, cut short after MAX_SYMBOL_CHARS: a run of fifty getters needs no fifty-name symbol. */
function listNames(names: string[]): string {
  let symbol = '';
  for (const name of names.filter(Boolean)) {
    if (symbol.length > MAX_SYMBOL_CHARS) return `${symbol}${NAME_SEPARATOR}…`;
    symbol = symbol ? `${symbol}${NAME_SEPARATOR}${name}` : name;
  }
  return symbol;
}

function toChunk(layout: Layout, piece: Piece): Chunk {
  return {
    file: layout.file,
    language: layout.language,
    startLine: piece.first + 1,
    endLine: piece.last + 1,
    symbol: piece.symbol,
    kind: piece.kind,
    container: piece.container,
    content: layout.lines.slice(piece.first, piece.last + 1).join('\n'),
  };
}
