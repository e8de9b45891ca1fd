/**
 * Task classifier: weighted keyword rules plus nearest labelled examples (when an embedder is given), combined
 * into a category, a confidence in [0, 1] and a reason a user can check. Offline and fast: rules alone take
 * microseconds; the examples are embedded once per classifier.
 */
import type { EmbeddingProvider } from '../embed/types.js';
import { embedExamples } from './exampleVectors.js';
import type { RoutingPolicy } from './policy.js';

export interface Classification {
  category: string;
  confidence: number;
  reason: string;
  /** Combined score per category (only categories with any evidence). */
  scores: Record<string, number>;
}

interface CompiledRule {
  category: string;
  weight: number;
  /** All of the rule's terms as one global regex: one compile per rule keeps a cold start cheap. */
  pattern: RegExp;
}

interface Neighbour {
  category: string;
  task: string;
  similarity: number;
}

/*
 * How rules and examples combine. Chosen by 5-fold cross-validation on the train split of bench/routing/tasks.jsonl
 * (examples: the shipped ones plus the other folds), with the held-out fixture of test/route.test.ts kept above 80%.
 * The examples used to get whatever share the rules left, however dissimilar they were: a lone neighbour at 0.34
 * ("explain how a request travels … from router to database") sent "add rate limiting to the router" to
 * codebase_overview. Now their share grows with the top similarity, and weak votes are dropped.
 */
/** An example less similar than this does not vote: MiniLM puts unrelated short tasks at 0.1-0.2. */
const MIN_SIMILARITY = 0.2;
/** A top similarity this high earns the examples all of the share the rules leave them. */
const STRONG_SIMILARITY = 0.6;
/** How many nearest examples vote. */
const NEIGHBOURS = 5;
/** The top category's summed rule weight at which the rules get their full share (one weight-3 term). */
const STRONG_RULE_WEIGHT = 3;
/** Share of the decision the rules get at full strength; the examples get the rest. */
const RULE_SHARE_AT_FULL_STRENGTH = 0.75;

export class TaskClassifier {
  private readonly rules: CompiledRule[];
  private exampleVectors: Promise<Float32Array[]> | undefined;

  constructor(
    private readonly policy: RoutingPolicy,
    private readonly embedder?: EmbeddingProvider,
  ) {
    this.rules = policy.rules.map((rule) => ({ category: rule.category, weight: rule.weight, pattern: compileTerms(rule.terms) }));
  }

  async classify(task: string): Promise<Classification> {
    const rules = this.scoreRules(task);
    const neighbours = this.embedder ? await this.nearestExamples(task) : [];
    const knn = new Map<string, number>();
    for (const n of neighbours) knn.set(n.category, (knn.get(n.category) ?? 0) + n.similarity);

    const ruleTotal = sum(rules.scores.values());
    const knnTotal = sum(knn.values());
    const ruleTop = Math.max(0, ...rules.scores.values());
    const ruleStrength = Math.min(1, ruleTop / STRONG_RULE_WEIGHT);
    const ruleShareWeight = knnTotal > 0 ? RULE_SHARE_AT_FULL_STRENGTH * ruleStrength : ruleStrength;
    const knnTop = Math.max(0, ...neighbours.map((n) => n.similarity));
    const knnStrength = Math.min(1, Math.max(0, (knnTop - MIN_SIMILARITY) / (STRONG_SIMILARITY - MIN_SIMILARITY)));
    // With no rule evidence at all, the examples that passed MIN_SIMILARITY decide alone: fresh phrasing that no
    // rule knows ("lift the selected tab state up to the parent") is what they are for.
    const knnShareWeight = knnTotal > 0 ? (1 - ruleShareWeight) * (ruleTotal > 0 ? knnStrength : 1) : 0;

    // The share neither side claims is missing evidence, and missing evidence means the documented default: weak
    // evidence for a category must beat it, not merely be the only evidence there is.
    const unclaimed = ruleTotal + knnTotal > 0 ? Math.max(0, 1 - ruleShareWeight - knnShareWeight) : 0;
    const scores: Record<string, number> = {};
    for (const category of this.policy.categories) {
      const fromRules = ruleTotal > 0 ? ((rules.scores.get(category) ?? 0) / ruleTotal) * ruleShareWeight : 0;
      const fromExamples = knnTotal > 0 ? ((knn.get(category) ?? 0) / knnTotal) * knnShareWeight : 0;
      const fromDefault = category === this.policy.defaultCategory ? unclaimed : 0;
      if (fromRules + fromExamples + fromDefault > 0) scores[category] = round(fromRules + fromExamples + fromDefault);
    }
    const ranked = Object.entries(scores).sort((a, b) => b[1] - a[1] || this.order(a[0]) - this.order(b[0]));
    const best = ranked[0];
    if (!best) {
      return {
        category: this.policy.defaultCategory,
        confidence: 0,
        reason: `no rule matched${this.embedder ? ' and no example was similar' : ''}; default category`,
        scores,
      };
    }
    const [category, confidence] = best;
    const reason = this.explain(category, rules.matches, neighbours) || this.explainWeak(ranked, rules.matches, neighbours);
    return { category, confidence, reason, scores };
  }

  private scoreRules(task: string): { scores: Map<string, number>; matches: Map<string, Array<[string, number]>> } {
    const scores = new Map<string, number>();
    const matches = new Map<string, Array<[string, number]>>();
    for (const rule of this.rules) {
      for (const match of task.matchAll(rule.pattern)) {
        const seen = matches.get(rule.category) ?? [];
        // The same words listed under two spellings or in two groups count once.
        if (seen.some(([text]) => text.toLowerCase() === match[0].toLowerCase())) continue;
        seen.push([match[0], rule.weight]);
        matches.set(rule.category, seen);
        scores.set(rule.category, (scores.get(rule.category) ?? 0) + rule.weight);
      }
    }
    return { scores, matches };
  }

  private async nearestExamples(task: string): Promise<Neighbour[]> {
    const embedder = this.embedder!;
    this.exampleVectors ??= embedExamples(embedder, this.policy.examples.map((e) => e.task));
    const [vectors, [query]] = await Promise.all([this.exampleVectors, embedder.embed([task])]);
    return this.policy.examples
      .map((example, i) => ({ ...example, similarity: dot(query!, vectors[i]!) }))
      .filter((n) => n.similarity >= MIN_SIMILARITY)
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, NEIGHBOURS);
  }

  private explain(category: string, matches: Map<string, Array<[string, number]>>, neighbours: Neighbour[]): string {
    const parts: string[] = [];
    const matched = (matches.get(category) ?? []).sort((a, b) => b[1] - a[1]).slice(0, 4);
    if (matched.length > 0) parts.push(`rule: matched ${matched.map(([text]) => `'${text}'`).join(', ')}`);
    const similar = neighbours.filter((n) => n.category === category).slice(0, 2);
    if (similar.length > 0) {
      parts.push(`nearest examples: ${similar.map((n) => `'${n.task}' (${n.similarity.toFixed(2)})`).join(', ')}`);
    }
    return parts.join('; ');
  }

  /** The default won on missing evidence: say what the runner-up had and why it was not enough. */
  private explainWeak(ranked: Array<[string, number]>, matches: Map<string, Array<[string, number]>>, neighbours: Neighbour[]): string {
    const runnerUp = ranked.find(([category]) => category !== this.policy.defaultCategory);
    if (!runnerUp) return 'default category';
    const evidence = this.explain(runnerUp[0], matches, neighbours);
    return `evidence too weak for ${runnerUp[0]} (${evidence}; score ${runnerUp[1].toFixed(2)}); default category`;
  }

  private order(category: string): number {
    return this.policy.categories.indexOf(category);
  }
}

/**
 * Terms as one regex: whole words (no letter may touch a term), a space also matches a hyphen, a trailing `*`
 * matches any word ending. A member wildcard (`date.*`) needs a member: a sentence that ends in "up to date."
 * does not name `Date.now`. Longer terms go first so "add support for" wins over "support for".
 */
export function compileTerms(terms: string[]): RegExp {
  const alternatives = [...terms]
    .sort((a, b) => b.length - a.length)
    .map((term) => {
      const wildcard = term.endsWith('*');
      const stem = (wildcard ? term.slice(0, -1) : term).trim();
      const words = stem.split(/\s+/).map((word) => word.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
      return `${words.join('[\\s-]+')}${wildcard ? (stem.endsWith('.') ? '\\p{L}+' : '\\p{L}*') : ''}`;
    });
  return new RegExp(`(?<!\\p{L})(?:${alternatives.join('|')})(?!\\p{L})`, 'giu');
}

function dot(a: Float32Array, b: Float32Array): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i]! * b[i]!;
  return total;
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
