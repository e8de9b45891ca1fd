/**
 * Definitions: the code units a chunk can follow (functions, classes, ...), found by a language's query and
 * arranged as a tree by line containment. Query captures follow grammars/README.md: `@chunk.<kind>` on the
 * node, `@name` on its name (several: their texts joined by spaces), optional `@container` when the enclosing
 * type is not an enclosing node (Go), `@scope` when its members' container is not its symbol, and `@end` when
 * the definition runs on past its node (a K&R C body the grammar parses as a sibling). `@label.<kind>` marks
 * a definition that cuts no chunk of its own (C macros): it only names the top-level lines it is on.
 */
import type { Node, Query } from 'web-tree-sitter';
import type { ChunkKind } from './types.js';

export interface Definition {
  kind: ChunkKind;
  symbol: string;
  /** Enclosing symbol given by the query itself (Go receivers); otherwise the parent definition's symbol. */
  container?: string;
  /** Container of its members when not its symbol: `impl Display for Point` → Point. */
  scope?: string;
  /** 0-based rows, inclusive; first includes leading comments and attributes. */
  first: number;
  last: number;
  children: Definition[];
}

/** A definition that only names the chunks its lines end up in, when they have no name otherwise. */
export interface Label {
  kind: ChunkKind;
  symbol: string;
  /** 0-based rows, inclusive. */
  first: number;
  last: number;
}

const KINDS = new Set<ChunkKind>(['function', 'method', 'class', 'interface', 'struct', 'enum', 'trait', 'impl', 'module', 'type']);
/** Kinds whose functions are methods. */
const TYPE_KINDS = new Set<ChunkKind>(['class', 'interface', 'struct', 'enum', 'trait', 'impl']);
/** Nodes that only wrap a definition (export, decorators, templates, `x = function`) belong to its chunk. */
const WRAPPERS = new Set([
  'export_statement',
  'ambient_declaration',
  'decorated_definition',
  'template_declaration',
  'expression_statement',
  'lexical_declaration',
  'variable_declaration',
  'assignment',
  'type_declaration',
]);
const LEADING_TRIVIA = /comment|^decorator$|^attribute_item$/;

export function endRow(node: Node): number {
  const { row, column } = node.endPosition;
  return column === 0 && row > node.startPosition.row ? row - 1 : row;
}

function startsItsLine(node: Node, lines: readonly string[]): boolean {
  return lines[node.startPosition.row]!.slice(0, node.startPosition.column).trim() === '';
}

/** First row of a node together with the comments and attributes directly above it (at most one blank line between). */
function firstRowWithTrivia(node: Node, lines: readonly string[]): number {
  let first = node.startPosition.row;
  // The comment may sit outside a body node that starts where the definition does (Ruby's body_statement).
  let anchor = node;
  while (!anchor.previousNamedSibling && anchor.parent && anchor.parent.startIndex === anchor.startIndex) anchor = anchor.parent;
  for (let sibling = anchor.previousNamedSibling; sibling; sibling = sibling.previousNamedSibling) {
    // Doc comments are sometimes separated by one blank line; further away they are about something else.
    const gap = first - 1 - endRow(sibling);
    if (!LEADING_TRIVIA.test(sibling.type) || gap > 1 || (gap === 1 && lines[first - 1]!.trim() !== '') || !startsItsLine(sibling, lines)) break;
    first = sibling.startPosition.row;
  }
  return first;
}

/** A wrapper holding several of these (`const a = () => 1, b = ...`, Go's `type ( ... )`) is not widened to. */
function wrapsOnly(parent: Node, node: Node): boolean {
  return parent.namedChildren.every((child) => !child || child.id === node.id || child.type !== node.type);
}

function symbolText(...nodes: Node[]): string {
  return nodes
    .map((node) => node.text)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120);
}

interface Found extends Definition {
  nodeFirst: number;
  /** Byte offset of the node: of two definitions on the same lines, the one opening first holds the other. */
  nodeStart: number;
}

interface Captured {
  /** Index of the query pattern that matched. */
  pattern: number;
  node: Node;
  kind: ChunkKind;
  names: Node[];
  container?: string;
  scope?: string;
  end?: Node;
}

/**
 * Definitions nested deeper than this stay in their ancestors' lines. Generated code can nest thousands deep
 * (5,000 nested functions: assemble's recursion overflowed the stack, and collect's parent lookups, each as deep
 * as the node, took 16 s); code people write stays far below.
 */
const MAX_NESTING = 64;

function collect(root: Node, query: Query, lines: readonly string[]): { found: Found[]; labels: Label[] } {
  const captured: Captured[] = [];
  const labels: Label[] = [];
  for (const match of query.matches(root)) {
    let node: Node | undefined;
    let kind: ChunkKind | undefined;
    const names: Node[] = [];
    let container: string | undefined;
    let scope: string | undefined;
    let end: Node | undefined;
    let label: Label | undefined;
    for (const capture of match.captures) {
      if (capture.name.startsWith('chunk.')) {
        const kindCaptured = capture.name.slice('chunk.'.length) as ChunkKind;
        if (KINDS.has(kindCaptured)) [node, kind] = [capture.node, kindCaptured];
      } else if (capture.name.startsWith('label.')) {
        const kindCaptured = capture.name.slice('label.'.length) as ChunkKind;
        if (KINDS.has(kindCaptured)) label = { kind: kindCaptured, symbol: '', first: capture.node.startPosition.row, last: endRow(capture.node) };
      } else if (capture.name === 'name') names.push(capture.node);
      else if (capture.name === 'container') container = symbolText(capture.node);
      else if (capture.name === 'scope') scope = symbolText(capture.node);
      else if (capture.name === 'end' && (!end || capture.node.endIndex > end.endIndex)) end = capture.node;
    }
    names.sort((a, b) => a.startIndex - b.startIndex);
    if (label && names.length > 0) labels.push({ ...label, symbol: symbolText(...names) });
    if (node && kind) captured.push({ pattern: match.patternIndex, node, kind, names, container, scope, end });
  }
  const byNode = new Map<number, Found>();
  const seenNames = new Set<number>();
  for (const { node: definition, kind, names, container, scope, end } of withinNesting(firstPatternEach(captured))) {
    // One definition per name: `export function f` and `function f` both match; the outer node wins below.
    const name = names[0];
    if (name && seenNames.has(name.startIndex)) continue;
    let node = definition;
    while (node.parent && WRAPPERS.has(node.parent.type) && wrapsOnly(node.parent, node)) node = node.parent;
    if (byNode.has(node.startIndex)) continue;
    if (name) seenNames.add(name.startIndex);
    byNode.set(node.startIndex, {
      kind,
      symbol: symbolText(...names),
      container,
      scope,
      first: firstRowWithTrivia(node, lines),
      last: Math.max(endRow(node), end ? endRow(end) : 0),
      nodeFirst: node.startPosition.row,
      nodeStart: node.startIndex,
      children: [],
    });
  }
  return { found: [...byNode.values()], labels };
}

/**
 * One capture per node, the earliest pattern's, in the order met: a query lists the specific pattern before its
 * fallback (Rust's `impl<T> Stack<T>` is Stack, not the fallback's whole type `Stack<T>`), and the order in which
 * tree-sitter returns two matches of one node says nothing about which is meant.
 */
function firstPatternEach(captured: Captured[]): Captured[] {
  const byNode = new Map<number, Captured>();
  for (const definition of captured) {
    const seen = byNode.get(definition.node.id);
    if (!seen || definition.pattern < seen.pattern) byNode.set(definition.node.id, definition);
  }
  return [...byNode.values()];
}

/** The definitions at most MAX_NESTING deep in one another, by their byte ranges (no tree walk), in their order. */
function withinNesting(captured: Captured[]): Captured[] {
  const outermostFirst = [...captured].sort((a, b) => a.node.startIndex - b.node.startIndex || b.node.endIndex - a.node.endIndex);
  const open: number[] = [];
  const tooDeep = new Set<Captured>();
  for (const definition of outermostFirst) {
    while (open.length > 0 && open.at(-1)! <= definition.node.startIndex) open.pop();
    open.push(definition.node.endIndex);
    if (open.length > MAX_NESTING) tooDeep.add(definition);
  }
  return tooDeep.size > 0 ? captured.filter((definition) => !tooDeep.has(definition)) : captured;
}

/**
 * Definitions as a tree by line containment. Line ranges of siblings never overlap: a definition sharing its
 * first line with its parent or its lines with an earlier sibling stays inside that chunk instead.
 */
export function findDefinitions(root: Node, query: Query, lines: readonly string[]): { definitions: Definition[]; labels: Label[] } {
  const { found, labels } = collect(root, query, lines);
  found.sort((a, b) => a.first - b.first || b.last - a.last || a.nodeStart - b.nodeStart);
  const top: Found = { kind: 'module', symbol: '', first: -1, last: Infinity, nodeFirst: -1, nodeStart: -1, children: [] };
  const stack: Found[] = [top];
  for (const def of found) {
    while (stack.at(-1)!.last < def.first) stack.pop();
    const parent = stack.at(-1)!;
    if (def.last > parent.last || (parent !== top && def.nodeFirst <= parent.nodeFirst)) continue;
    if (parent !== top) def.first = Math.max(def.first, parent.nodeFirst + 1);
    const previous = parent.children.at(-1) as Found | undefined;
    if (previous && def.first <= previous.last) {
      if (def.nodeFirst <= previous.last) continue;
      def.first = previous.last + 1;
    }
    if (def.kind === 'function' && TYPE_KINDS.has(parent.kind) && parent !== top) def.kind = 'method';
    parent.children.push(def);
    stack.push(def);
  }
  return { definitions: top.children, labels };
}
