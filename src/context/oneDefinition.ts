/**
 * Search joins neighbouring chunks of a file into one result whose symbol lists their names, the best-ranked first
 * ("res.cookie, res.clearCookie"). A verdict says which definition to call or change, so it names one, with that
 * definition's lines when they can be found in the result.
 */
import { memberName, symbolNames } from '../chunk/symbolNames.js';
import { escapeRegExp } from '../regexp.js';
import { keyTerms, stem } from './termCoverage.js';

export interface Definition {
  symbol: string;
  startLine: number;
  endLine: number;
}

export function oneDefinition(result: { symbol: string; startLine: number; endLine: number; content: string }, task: string): Definition {
  const names = symbolNames(result.symbol);
  if (names.length < 2) return { symbol: result.symbol, startLine: result.startLine, endLine: result.endLine };
  // A compound name the task writes out ("RunFd", "CustomRecoveryWithWriter") is the one it means; otherwise the
  // name search ranked best, which comes first. (Counting shared words named hashPassword for "check their password
  // against the stored salted hash", which is verifyPassword.)
  const terms = keyTerms(task).map(stem);
  const symbol = names.find((name) => writtenOut(name, terms)) ?? names[0]!;

  const lines = result.content.split('\n');
  const starts = names.map((name) => definitionStart(lines, name));
  const index = names.indexOf(symbol);
  const start = starts[index];
  if (start === undefined) return { symbol, startLine: result.startLine, endLine: result.endLine };
  // A definition nested in this one (express's `function html` inside `res.redirect`) does not end it.
  const indent = (line: number) => /^\s*/.exec(lines[line]!)![0].length;
  const next = starts.filter((line): line is number => line !== undefined && line > start && indent(line) <= indent(start)).sort((a, b) => a - b)[0];
  let end = next === undefined ? lines.length - 1 : next - 1;
  // Up to the next definition, but not the blank lines and the next one's comment before it.
  while (end > start && /^\s*(\/\/|#|\/\*\*|\*|$)/.test(lines[end]!)) end--;
  return { symbol, startLine: result.startLine + start, endLine: result.startLine + end };
}

/** Whether the task writes out this compound name (camelCase or snake_case), as "RunFd" or "parse_args". */
function writtenOut(name: string, terms: string[]): boolean {
  const last = memberName(name);
  return /[a-z0-9][A-Z]|_/.test(last) && terms.includes(stem(last.toLowerCase()));
}

/**
 * The line (0-based in the result) where `name` is defined, with the comments and decorators right above it:
 * `def name`, `func (r) Name(`, `function name`, `obj.name = function`, `name: (`, or a class method `name(…) {`.
 */
function definitionStart(lines: string[], name: string): number | undefined {
  const last = escapeRegExp(memberName(name));
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
