/**
 * Markdown by headings: every ATX (`## x`) or setext (`x` over `===`/`---`) heading starts a section that runs
 * to the next heading of the same or a higher level, so a section holds its subsections and can stay whole
 * when it fits. Lines inside fenced code blocks are never headings, and are cut only when the block itself
 * is over the budget.
 */
import type { Definition } from './definitions.js';
import { paragraphCuts, type Cuts } from './split.js';
import type { LineCosts } from './tokens.js';

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
// A line that cannot be a setext heading's text: a list item, quote or table row. A list marker is followed by a
// space (`5.2.1 / 2025-12-01` over `===` is a heading, as in every express changelog entry).
const LIST_OR_QUOTE = /^\s*([-*+](\s|$)|\d{1,9}[.)](\s|$)|>|\|)/;

interface Heading {
  row: number;
  level: number;
  text: string;
}

export function markdownStructure(lines: readonly string[], costs: LineCosts, budget: number): { definitions: Definition[]; cuts: Cuts } {
  const cuts = paragraphCuts(lines);
  const headings: Heading[] = [];
  let fence: { marker: string; row: number } | undefined;
  // YAML front matter: its closing `---` would read as a setext underline.
  const frontMatterEnd = lines[0]?.trim() === '---' ? lines.findIndex((line, row) => row > 0 && line.trim() === '---') : -1;
  for (let row = frontMatterEnd + 1; row < lines.length; row++) {
    const line = lines[row]!;
    const fenceMatch = FENCE.exec(line);
    if (fence) {
      if (fenceMatch && fenceMatch[1]!.startsWith(fence.marker)) {
        if (costs.range(fence.row, row) <= budget) cuts.fill(0, fence.row, row);
        fence = undefined;
      }
      continue;
    }
    if (fenceMatch) {
      fence = { marker: fenceMatch[1]!, row };
      continue;
    }
    const atx = ATX.exec(line);
    if (atx) {
      headings.push({ row, level: atx[1]!.length, text: atx[2] ?? '' });
      continue;
    }
    const setext = SETEXT.exec(line);
    const above = lines[row - 1];
    if (setext && above !== undefined && above.trim() !== '' && headings.at(-1)?.row !== row - 1 && !LIST_OR_QUOTE.test(above)) {
      headings.push({ row: row - 1, level: setext[1]!.startsWith('=') ? 1 : 2, text: above.trim() });
    }
  }
  return { definitions: nest(headings, lines.length), cuts };
}

function nest(headings: Heading[], lineCount: number): Definition[] {
  const top: Definition[] = [];
  const open: { level: number; def: Definition }[] = [];
  headings.forEach((heading, index) => {
    const end = headings.findIndex((other, j) => j > index && other.level <= heading.level);
    const def: Definition = {
      kind: 'section',
      symbol: heading.text.slice(0, 120),
      first: heading.row,
      last: (end === -1 ? lineCount : headings[end]!.row) - 1,
      children: [],
    };
    while (open.length > 0 && open.at(-1)!.level >= heading.level) open.pop();
    (open.at(-1)?.def.children ?? top).push(def);
    open.push({ level: heading.level, def });
  });
  return top;
}
