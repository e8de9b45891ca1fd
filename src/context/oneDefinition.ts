/**
 * Search joins neighbouring chunks of a file into one result whose symbol lists their names in line order
 * ("res.get, res.clearCookie, res.cookie"). A verdict says which definition to call or change, so it names one: the
 * one whose name speaks the task, with that definition's lines when they can be found in the result.
 */
import { keyTerms, stem } from './termCoverage.js';

export interface Definition {
  symbol: string;
  startLine: number;
  endLine: number;
}

export function oneDefinition(result: { symbol: string; startLine: number; endLine: number; content: string }, task: string): Definition {
  const names = result.symbol.split(', ').filter((name) => name !== '');
  if (names.length < 2) return { symbol: result.symbol, startLine: result.startLine, endLine: result.endLine };
  const terms = keyTerms(task).map(stem);
  const ranked = names.map((name, order) => ({ name, order, ...nameMatch(name, terms) }));
  ranked.sort((a, b) => b.matched - a.matched || b.share - a.share || a.order - b.order);
  const symbol = ranked[0]!.name;

  const lines = result.content.split('\n');
  const starts = names.map((name) => definitionStart(lines, name));
  const index = names.indexOf(symbol);
  const start = starts[index];
  if (start === undefined) return { symbol, startLine: result.startLine, endLine: result.endLine };
  const next = starts.filter((line): line is number => line !== undefined && line > start).sort((a, b) => a - b)[0];
  let end = next === undefined ? lines.length - 1 : next - 1;
  // Up to the next definition, but not the blank lines and the next one's comment before it.
  while (end > start && /^\s*(\/\/|#|\/\*\*|\*|$)/.test(lines[end]!)) end--;
  return { symbol, startLine: result.startLine + start, endLine: result.startLine + end };
}

/**
 * How many of the task's (stemmed) key terms a name speaks: its words (res.clearCookie → res, clear, cookie), or
 * the whole name as the task writes it ("RunFd"). `share` prefers the name with fewer words the task does not use.
 */
function nameMatch(name: string, terms: string[]): { matched: number; share: number } {
  const whole = (name.split(/[.#:]/).pop() ?? name).toLowerCase();
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '')
    .map(stem);
  // A compound name written in the task ("RunFd", "CustomRecoveryWithWriter") outweighs any count of shared words;
  // a one-word name ("cookie") is just a word the task may use for something else ("clear the cookie").
  const compound = /[a-z0-9][A-Z]|_/.test(name.split(/[.#:]/).pop() ?? '');
  const matched = terms.filter((term) => words.includes(term)).length + (compound && terms.includes(stem(whole)) ? terms.length : 0);
  return { matched, share: words.length === 0 ? 0 : words.filter((word) => terms.includes(word)).length / words.length };
}

/**
 * The line (0-based in the result) where `name` is defined, with the comments and decorators right above it:
 * `def name`, `func (r) Name(`, `function name`, `obj.name = function`, `name: (`, or a class method `name(…) {`.
 */
function definitionStart(lines: string[], name: string): number | undefined {
  const last = escape(name.split(/[.#:]/).pop() ?? name);
  const definition = new RegExp(
    `\\b(?:def|func|function|fn|class|sub)\\s+(?:\\([^)]*\\)\\s*)?${last}\\b|(?<![\\w$])${last}\\s*[:=]\\s*(?:async\\s+)?(?:function\\b|\\()|^\\s*(?:(?:async|static|public|private|protected|get|set)\\s+)*${last}\\s*\\([^)]*\\)[^;]*\\{\\s*$`,
  );
  const at = lines.findIndex((line) => definition.test(line));
  if (at < 0) return undefined;
  let start = at;
  const commentAbove = (line: number) => line >= 0 && /^\s*(\/\*\*|\*|\/\/|#|@)/.test(lines[line]!);
  // A doc comment may stand a blank line above its definition (express writes `*/`, blank, `res.cookie = …`).
  while (commentAbove(start - 1) || (lines[start - 1]?.trim() === '' && /\*\/\s*$/.test(lines[start - 2] ?? ''))) start--;
  return start;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
