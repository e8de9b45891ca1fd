/**
 * How much of a task's vocabulary the code found actually uses. Short unrelated tasks reach 0.26-0.48 dense
 * similarity to some chunk of any codebase ("send emails through an SMTP server" → GetPostForm at 0.30), so the
 * similarity alone cannot tell Extend from Create; code that is the place to extend also speaks the task's words.
 */
import { taskText } from '../search/queryTerms.js';

/** Words that ask for a change, and prepositions taskText keeps: neither names anything the code would contain. */
const NOT_KEY_TERMS = new Set(
  ('through across between within toward towards upon against along around beside beyond one two ' +
    'add adds added adding allow allows allowed support supports fix fixes fixed change changes improve improves ' +
    'make makes use uses using handle handles give show let lets new instead able ability functionality prevent avoid').split(' '),
);

export interface TermCoverage {
  /** Share of the task's key terms found, 1 when the task has none. */
  share: number;
  found: string[];
  missing: string[];
}

/** The task's content words (three letters or more), without function words and change verbs, lower-cased. */
export function keyTerms(task: string): string[] {
  const words = taskText(task).toLowerCase().match(/[a-z][a-z0-9]{2,}/g) ?? [];
  return [...new Set(words.filter((word) => !NOT_KEY_TERMS.has(word)))];
}

/** Which of the task's key terms the code's text (path, symbol, container, content) contains, ignoring plural and tense endings. */
export function termCoverage(task: string, code: Array<{ file: string; symbol: string; container: string; content: string }>): TermCoverage {
  const terms = keyTerms(task);
  const text = code.map((c) => `${c.file} ${c.symbol} ${c.container} ${c.content}`).join('\n').toLowerCase();
  const found = terms.filter((term) => text.includes(stem(term)));
  return { share: terms.length === 0 ? 1 : found.length / terms.length, found, missing: terms.filter((term) => !found.includes(term)) };
}

/** A word without its plural or tense ending, as code and tasks may differ in them. */
export function stem(word: string): string {
  return word.length > 4 ? word.replace(/(ies|es|s|ing|ed)$/, '') : word;
}
