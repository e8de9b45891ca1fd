/**
 * Pre-search context: turns search results into the block a model reads before the task, Search → Reuse →
 * Extend → Create. Merges overlapping results, keeps the most valuable snippets that fit the token budget,
 * orders them for reading and states the verdict with its evidence (for a question, a review or an explanation:
 * only where the relevant code is).
 */
import { redactSecrets, withRedactionsOf, type RedactionResult } from '../redact/redact.js';
import type { SearchResult } from '../search/types.js';
import { covers, mergeResults, type ContextSnippet } from './merge.js';
import { isInquiry } from './intent.js';
import { echoed, printable } from '../text.js';
import { decideVerdict, quotedQueries, relevantCode, thresholdDecimals, type Thresholds, type Verdict } from './verdict.js';

export interface BuildContextOptions {
  budgetTokens: number;
  countTokens: (text: string) => number;
  thresholds: Thresholds;
  /** What pre-search searched for (shown with a Create verdict); defaults to the task. */
  queries?: string[];
}

export interface ContextBlock {
  task: string;
  verdict: Verdict;
  /** Snippets kept, in reading order. */
  snippets: ContextSnippet[];
  /** Snippets left out to fit the budget. */
  dropped: number;
  /** Results left out as unrelated to the task (see isRelevant). */
  unrelated: number;
  queries: string[];
  /** The rendered block. */
  text: string;
  tokens: number;
  budgetTokens: number;
}

export function buildContext(task: string, results: SearchResult[], options: BuildContextOptions): ContextBlock {
  const queries = options.queries ?? [task];
  const verdict = isInquiry(task) ? relevantCode(results, options.thresholds, queries) : decideVerdict(results, options.thresholds, queries, task);
  const relevant = results.filter((r) => isRelevant(r, options.thresholds));
  const unrelated = results.length - relevant.length;
  const header = renderHeader(task, verdict, queries, unrelated, options.thresholds);
  const available = options.budgetTokens - options.countTokens(header);
  const partial = fitBudget(relevant, available, options.countTokens);
  const fitted = withWholeTarget(relevant, verdict, partial.kept, available, options.countTokens) ?? partial;
  const { candidates } = fitted;
  const kept = withTargetSnippet(verdict, fitted, available, options.countTokens);

  const snippets = orderForReading(kept);
  const text = [header, ...snippets.map(renderSnippet)].join('\n');
  return {
    task,
    verdict,
    snippets,
    dropped: candidates.length - kept.length,
    unrelated,
    queries,
    text,
    tokens: options.countTokens(text),
    budgetTokens: options.budgetTokens,
  };
}

/** A block as it leaves the machine: `text` and `tokens` are the redacted text's; the snippets keep the code as it is. */
export interface RedactedContextBlock extends ContextBlock {
  redaction: RedactionResult;
}

/**
 * The block with its secrets redacted, within the budget after redaction: `[REDACTED:password]` is longer than the
 * short value it replaces, so a block fitted before redaction went over it (the hook sent 331 tokens for a budget
 * of 300). Each pass fits to less by the overshoot; the budget shrinks every pass, so it ends (at worst with the
 * header alone).
 */
export async function buildRedactedContext(
  task: string,
  results: SearchResult[],
  options: Omit<BuildContextOptions, 'queries'>,
): Promise<RedactedContextBlock> {
  // The block shows the task reworded (quoted, cut to 200 characters, key terms lower-cased in a verdict), where no
  // rule knows a secret any more: `"…password=hunter3abc"` and `missing: hunter3abc` went out as they were.
  // Redacted first, it carries only placeholders.
  const redactedTask = await redactSecrets(task);
  let budgetTokens = options.budgetTokens;
  for (;;) {
    const block = buildContext(redactedTask.text, results, { ...options, budgetTokens });
    const redaction = withRedactionsOf(await redactSecrets(block.text), redactedTask);
    const tokens = options.countTokens(redaction.text);
    if (tokens <= options.budgetTokens || block.snippets.length === 0) {
      return { ...block, text: redaction.text, tokens, budgetTokens: options.budgetTokens, redaction };
    }
    budgetTokens = Math.min(budgetTokens, block.tokens) - (tokens - options.budgetTokens);
  }
}

const byScore = (a: ContextSnippet, b: ContextSnippet) => b.score - a.score;

/**
 * The results merged into snippets, best first, and the longest run of them that fits; when even the best does
 * not, the best result's own lines, cut to fit and said so. The best snippet may be that result merged with
 * neighbours above it (another method of its class): its first lines would show them and not the result.
 */
function fitBudget(results: SearchResult[], available: number, countTokens: (text: string) => number): { candidates: ContextSnippet[]; kept: ContextSnippet[] } {
  const candidates = mergeResults(results).sort(byScore);
  const kept: ContextSnippet[] = [];
  let used = 0;
  for (const snippet of candidates) {
    const cost = countTokens(renderSnippet(snippet));
    if (used + cost > available) break;
    kept.push(snippet);
    used += cost;
  }
  const best = [...results].sort((a, b) => b.score - a.score)[0];
  if (kept.length === 0 && best && available > 0) {
    const own = mergeResults([best])[0]!;
    const fitted = countTokens(renderSnippet(own)) <= available ? own : trimToFit(own, available, countTokens);
    if (fitted) kept.push(fitted);
  }
  return { candidates, kept };
}

/**
 * Snippets scoring below this share of the verdict target's may make room for the rest of the target (tests at 0.05
 * against a target at 0.94); better ones stay. On bench:tune's pools (330 cases, 52 of them with a partial target,
 * pieces found among the pools' chunks only): at the hook's 1,500 tokens, 0.5 completes 17 targets and loses no
 * case's gold from the block, 0.25 completes 11, and letting any lower snippet go completes 30 but loses one case;
 * at 3,000 tokens 0.5 completes 41 and gains one.
 */
const LOW_SCORE_SHARE = 0.5;

/**
 * The block's candidates and snippets with the verdict's target whole, when search found only part of it (see
 * SearchResult.definition) and the rest fits in the budget by leaving out only low-scoring snippets: the model is
 * told to call or change that definition, and would take the part shown for all of it. Otherwise the part stays,
 * and its header says what it is part of. `partialKept`: what the budget keeps with the part.
 */
function withWholeTarget(
  results: SearchResult[],
  verdict: Verdict,
  partialKept: ContextSnippet[],
  available: number,
  countTokens: (text: string) => number,
): { candidates: ContextSnippet[]; kept: ContextSnippet[] } | undefined {
  const target = verdict.target;
  const isTarget = (r: SearchResult) => r.file === target?.file && r.definition?.content !== undefined && r.definition.startLine === target.startLine && r.definition.endLine === target.endLine;
  if (!results.some(isTarget)) return undefined;
  const completed = results.map((r) => (isTarget(r) ? { ...r, startLine: r.definition!.startLine, endLine: r.definition!.endLine, content: r.definition!.content!, definition: undefined } : r));
  const { candidates, kept } = fitBudget(completed, available, countTokens);
  const whole = kept.find((s) => covers(s, { file: target!.file, startLine: target!.startLine, endLine: target!.endLine }));
  if (!whole || whole.truncatedAt !== undefined) return undefined;
  const displaced = partialKept.filter((s) => !kept.some((k) => covers(k, s)));
  return displaced.every((s) => s.score < LOW_SCORE_SHARE * whole.score) ? { candidates, kept } : undefined;
}

/**
 * The kept snippets, and the one holding the verdict's target when the run of best snippets stopped before it (a
 * larger snippet did not fit) and it fits in what is left: the header names that code, and says "with the snippets
 * below". (gson, "explain how TypeAdapterFactory is chosen" at the hook's 1,500 tokens: 375 tokens used, the
 * 3-line target named and not shown.)
 */
function withTargetSnippet(
  verdict: Verdict,
  { candidates, kept }: { candidates: ContextSnippet[]; kept: ContextSnippet[] },
  available: number,
  countTokens: (text: string) => number,
): ContextSnippet[] {
  const target = verdict.target;
  if (!target) return kept;
  const holds = (s: ContextSnippet) => s.file === target.file && s.startLine <= target.endLine && target.startLine <= (s.truncatedAt ?? s.endLine);
  const snippet = kept.some(holds) ? undefined : candidates.find(holds);
  if (!snippet) return kept;
  const used = kept.reduce((sum, s) => sum + countTokens(renderSnippet(s)), 0);
  return used + countTokens(renderSnippet(snippet)) <= available ? [...kept, snippet] : kept;
}

/** Keyword hits this high are kept whatever their similarity: an identifier the task names exactly. */
const TOP_KEYWORD_RANK = 3;

/**
 * A search always returns its `limit` results, related or not; on a small codebase that is everything. A
 * result is worth the model's attention when it is at least half as similar as Extend requires, or when it is
 * a top keyword hit.
 */
function isRelevant(result: SearchResult, thresholds: Thresholds): boolean {
  if (result.dense && result.dense.score >= thresholds.extend / 2) return true;
  return result.keyword !== undefined && result.keyword.rank <= TOP_KEYWORD_RANK;
}

/** Files in order of their best snippet, each file's snippets top to bottom. */
function orderForReading(snippets: ContextSnippet[]): ContextSnippet[] {
  const fileRank = new Map<string, number>();
  for (const s of snippets) fileRank.set(s.file, Math.max(fileRank.get(s.file) ?? -Infinity, s.score));
  return [...snippets].sort(
    (a, b) => fileRank.get(b.file)! - fileRank.get(a.file)! || a.file.localeCompare(b.file) || a.startLine - b.startLine,
  );
}

function trimToFit(snippet: ContextSnippet, available: number, countTokens: (t: string) => number): ContextSnippet | undefined {
  const lines = snippet.content.split('\n');
  let best: ContextSnippet | undefined;
  // Binary search on the number of whole lines kept.
  let low = 1;
  let high = lines.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const candidate: ContextSnippet = {
      ...snippet,
      content: lines.slice(0, mid).join('\n'),
      truncatedAt: snippet.startLine + mid - 1,
    };
    if (countTokens(renderSnippet(candidate)) <= available) {
      best = candidate;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return best;
}

function renderHeader(task: string, verdict: Verdict, queries: string[], unrelated: number, thresholds: Thresholds): string {
  const floor = thresholds.extend / 2;
  const leftOut = unrelated > 0 ? ` (${unrelated} result(s) below similarity ${floor.toFixed(thresholdDecimals(floor))} left out)` : '';
  const inquiry = verdict.kind === 'relevant';
  return [
    inquiry ? '## Pre-search: relevant code' : '## Pre-search: existing code (Search → Reuse → Extend → Create)',
    `Task: ${echoed(task)}`,
    `Searched: ${quotedQueries(queries)}${leftOut}`,
    inquiry ? `Relevant code: ${verdict.evidence}` : `Verdict: ${verdict.kind.toUpperCase()}: ${verdict.evidence}`,
    '',
  ].join('\n');
}

export function snippetLocation(snippet: ContextSnippet): string {
  return `${snippet.file}:${snippet.startLine}-${snippet.truncatedAt ?? snippet.endLine}`;
}

function renderSnippet(snippet: ContextSnippet): string {
  const scores = [`score ${snippet.score.toFixed(3)}`];
  if (snippet.similarity !== undefined) scores.push(`similarity ${snippet.similarity.toFixed(2)}`);
  const names = snippet.symbols.length > 0 ? ` ${snippet.symbols.map(printable).join(', ')}` : '';
  // Part of a definition split for size: `file:264-317 of 264-337`, as search shows it.
  const whole = snippet.definition ? ` of ${snippet.definition.startLine}-${snippet.definition.endLine}` : '';
  const lines = [`### ${printable(snippetLocation(snippet))}${whole}${names} (${snippet.kinds.join(', ')}; ${scores.join(', ')})`];
  // A fence longer than any backtick run inside (Markdown sections carry their own fences).
  const fence = '`'.repeat(Math.max(3, ...(snippet.content.match(/`+/g) ?? []).map((run) => run.length + 1)));
  lines.push(`${fence}${snippet.language}`, snippet.content, fence);
  if (snippet.truncatedAt !== undefined) {
    lines.push(`(truncated to fit the budget: lines ${snippet.truncatedAt + 1}-${snippet.endLine} not shown)`);
  }
  return `${lines.join('\n')}\n`;
}
