/**
 * The pre-search verdict, Search → Reuse → Extend → Create, with its evidence: the dense similarity of the
 * closest code to the task against configurable thresholds. For a question, review or explanation there is no
 * verdict to act on, only the relevant code (relevantCode).
 */
import { chunkRole } from '../search/roles.js';
import { asksForAbility, changesExisting, quotesCode, removesSomething } from './intent.js';
import { oneDefinition } from './oneDefinition.js';
import { termCoverage, type TermCoverage } from './termCoverage.js';
import type { SearchResult } from '../search/types.js';
import { echoed, printable } from '../text.js';

export type VerdictKind = 'reuse' | 'extend' | 'create' | 'relevant';

export interface Thresholds {
  reuse: number;
  extend: number;
}

export interface Verdict {
  kind: VerdictKind;
  /** One line saying why, with the scores and thresholds. */
  evidence: string;
  /** The code to reuse or extend. */
  target?: { file: string; startLine: number; endLine: number; symbol: string; kind: string; similarity: number };
}

const CALLABLE = new Set(['function', 'method']);
/**
 * Below the reuse threshold, Extend also needs the implementation code found to speak the task's key terms (or a
 * task that says it changes existing code, see changesExisting): unrelated tasks reach 0.26-0.48 similarity to
 * some chunk of any codebase. A task that describes a capability needs most of its terms there; one that asks to
 * add an ability ("add a rate limit on failed login attempts", asksForAbility) names new things by design and
 * needs fewer. On the train half of bench/verdict 0.7 separates best (0.4 left 5 of 12 Create tasks at Extend:
 * 'send emails through an SMTP server' finds 'send' and 'server'); the calibration fixture's Extend tasks that ask
 * for an ability share 40-50% of their words with the code.
 */
const MIN_EXTEND_COVERAGE = 0.7;
const MIN_ABILITY_COVERAGE = 0.4;
/**
 * From this similarity up the code is close in meaning, and a task that paraphrases it ("check their password against
 * the stored salted hash and reject a wrong one" → verifyPassword at 0.44, 5 of its 9 terms) needs only half its
 * terms there. On the train half of bench/verdict this changes no verdict (with 0.4 or 0.7 alike: Extend 11/13,
 * Create 11/11).
 */
const CLOSE_SIMILARITY = 0.4;
const MIN_CLOSE_COVERAGE = 0.5;

/** The share of the task's key terms the code found must speak for Extend below the reuse threshold. */
function extendCoverageBar(task: string, similarity: number): number {
  if (asksForAbility(task)) return MIN_ABILITY_COVERAGE;
  return similarity >= CLOSE_SIMILARITY ? MIN_CLOSE_COVERAGE : MIN_EXTEND_COVERAGE;
}
/**
 * The task's words must be spoken by the closest implementation code, not anywhere among twenty results: over all of
 * them, 'hash user passwords with bcrypt' found its words scattered through requests' auth helpers and got Extend.
 * On the train half of bench/verdict the top 3 (or 5) fix two such Create tasks and lose nothing; the top 1 alone
 * loses two Extend tasks whose words sit in the function next to the target.
 */
const COVERAGE_RESULTS = 3;
/**
 * Reuse means the function already does what the task describes, so it speaks at least half of the task's key terms
 * itself (the train half of bench/verdict's Reuse targets speak 60-100%; at 0.7 three of them would be lost).
 */
const MIN_REUSE_COVERAGE = 0.5;

export function decideVerdict(results: SearchResult[], thresholds: Thresholds, queries: string[], task = queries.join(' ')): Verdict {
  const shown = precision(thresholds);
  const searched = `searched: ${quotedQueries(queries)}`;
  const { code, skipped } = implementationCode(results);
  const best = code[0];
  if (!best) {
    const why = skipped > 0 ? `no implementation code among the results (${skipped} ${skippedWhat})` : 'nothing in the index is close';
    return { kind: 'create', evidence: `${why} (${searched}); write new code` };
  }
  const topCallable = code.find((r) => CALLABLE.has(r.kind));
  if (topCallable && topCallable.dense!.score >= thresholds.reuse) {
    const target = targetOf(topCallable, task);
    if (changesExisting(task, topCallable.symbol) || asksForAbility(task) || quotesCode(task)) {
      return {
        kind: 'extend',
        evidence: `the task changes ${describe(target)} (similarity ${shown(target.similarity)} ≥ reuse threshold ${shown(thresholds.reuse)}, but it asks for a change, not a call); extend it`,
        target,
      };
    }
    const own = termCoverage(task, [topCallable]);
    if (own.share < MIN_REUSE_COVERAGE) {
      return {
        kind: 'extend',
        evidence: `${describe(target)} is close (similarity ${shown(target.similarity)} ≥ reuse threshold ${shown(thresholds.reuse)}), but it uses ${keyTermsFound(own)}, so it does not do all of this yet; extend it`,
        target,
      };
    }
    return {
      kind: 'reuse',
      evidence: `${describe(target)} already does this (similarity ${shown(target.similarity)} ≥ reuse threshold ${shown(thresholds.reuse)}); call it instead of writing new code`,
      target,
    };
  }
  if (best.dense!.score >= thresholds.extend) {
    const target = targetOf(best, task);
    const coverage = termCoverage(task, code.slice(0, COVERAGE_RESULTS));
    // "fix …", "remove …" or naming the symbol says the code exists, whatever words the task uses for it.
    const changesIt = changesExisting(task, best.symbol) || removesSomething(task);
    if (coverage.share < extendCoverageBar(task, target.similarity) && !changesIt) {
      return {
        kind: 'create',
        evidence: `closest code is ${describe(target)} (similarity ${shown(target.similarity)} ≥ extend threshold ${shown(thresholds.extend)}), but the code found uses ${keyTermsFound(coverage)}; ${searched}; write new code following the snippets' conventions`,
      };
    }
    return {
      kind: 'extend',
      evidence: `closest code is ${describe(target)} (similarity ${shown(target.similarity)} ≥ extend threshold ${shown(thresholds.extend)}, below reuse ${shown(thresholds.reuse)}); extend or adapt it`,
      target,
    };
  }
  return {
    kind: 'create',
    evidence: `nothing close: best similarity ${shown(best.dense!.score)} (${printable(best.file)}:${best.startLine}-${best.endLine}) < extend threshold ${shown(thresholds.extend)}; ${searched}; write new code following the snippets' conventions`,
  };
}

/** For a question, a review or an explanation: where the closest implementation code is, and nothing to act on. */
export function relevantCode(results: SearchResult[], thresholds: Thresholds, queries: string[]): Verdict {
  const shown = precision(thresholds);
  const { code } = implementationCode(results);
  const best = code[0];
  if (!best || best.dense!.score < thresholds.extend) {
    const closest = best ? `best similarity ${shown(best.dense!.score)} (${printable(best.file)}:${best.startLine}-${best.endLine}) < ${shown(thresholds.extend)}` : 'nothing in the index';
    return { kind: 'relevant', evidence: `no implementation code is close (${closest}; searched: ${quotedQueries(queries)})` };
  }
  const target = targetOf(best, queries.join(' '));
  return { kind: 'relevant', evidence: `${describe(target)} (similarity ${shown(target.similarity)}), with the snippets below`, target };
}

/** The queries a search ran, each quoted and shortened to a line: they are the reader's own words, repeated. */
export function quotedQueries(queries: string[]): string {
  return queries.map((q) => `"${echoed(q)}"`).join(', ');
}

/** Decimals that show a threshold as configured (0.125, not 0.13): two at least, up to four. */
export function thresholdDecimals(threshold: number): number {
  for (let decimals = 2; decimals < 4; decimals++) if (Number(threshold.toFixed(decimals)) === threshold) return decimals;
  return 4;
}

/** Thresholds and the similarities compared with them, at the precision the thresholds need. */
function precision(thresholds: Thresholds): (value: number) => string {
  const decimals = Math.max(thresholdDecimals(thresholds.reuse), thresholdDecimals(thresholds.extend));
  return (value) => value.toFixed(decimals);
}

const skippedWhat = 'test, docs, config, vendored or generated result(s) skipped';

/**
 * Results the dense side scored, best first, keeping implementation code only: tests, docs, changelogs, config,
 * vendored and generated code name the same things (a mocha `it('signed without secret')` reads like the cookie signer)
 * but are never the code to call or change.
 */
function implementationCode(results: SearchResult[]): { code: SearchResult[]; skipped: number } {
  const scored = results.filter((r) => r.dense).sort((a, b) => b.dense!.score - a.dense!.score);
  const code = scored.filter((r) => chunkRole(r) === 'code');
  return { code, skipped: scored.length - code.length };
}

/**
 * The result as a target, naming one definition of a joined result (see oneDefinition), or the whole definition of
 * a result that holds part of one: the model is told to change what the target's lines say.
 */
function targetOf(r: SearchResult, task: string): NonNullable<Verdict['target']> {
  const whole = r.definition && { startLine: r.definition.startLine, endLine: r.definition.endLine };
  return { file: r.file, ...oneDefinition(r, task), ...whole, kind: r.kind, similarity: r.dense!.score };
}

function keyTermsFound(coverage: TermCoverage): string {
  return `${coverage.found.length} of the task's ${coverage.found.length + coverage.missing.length} key terms (missing: ${coverage.missing.join(', ')})`;
}

/** The evidence names the target in text a model reads; the target itself keeps the names exact. */
function describe(target: NonNullable<Verdict['target']>): string {
  const name = target.symbol ? `${target.kind} ${printable(target.symbol)}` : target.kind;
  return `${name} in ${printable(target.file)}:${target.startLine}-${target.endLine}`;
}
