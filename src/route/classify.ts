/**
 * Task classifier: weighted keyword rules plus the labelled examples (when an embedder is given: a softmax model
 * trained on their vectors, with the nearest ones quoted), combined into a category, a confidence in [0, 1] and a
 * reason a user can check. Offline and fast: rules alone take microseconds; the examples are embedded and the
 * model trained once per classifier.
 */
import type { EmbeddingProvider } from '../embed/types.js';
import { categoryProbabilities, loadExampleModel, type ExampleModel } from './exampleModel.js';
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
 * codebase_overview. Now their share grows with the top similarity, and with no example close enough they have none.
 * Within their share, the examples' model says which category (it replaced a vote of the 5 nearest: 5-fold CV
 * 329/353 -> 332/353; bench/routing/RESULTS.md). The constants below were re-checked with the model: moving either
 * similarity by 0.05-0.1, or the rules' share to 0.5, 0.6 or 0.85, did not help (322-332).
 */
/** With no example this similar the examples have no say: MiniLM puts unrelated short tasks at 0.1-0.2. */
const MIN_SIMILARITY = 0.2;
/** A top similarity this high earns the examples all of the share the rules leave them. */
const STRONG_SIMILARITY = 0.6;
/** How many nearest examples the reason may quote from. */
const NEIGHBOURS = 5;
/** The top category's summed rule weight at which the rules get their full share (one weight-3 term). */
const STRONG_RULE_WEIGHT = 3;
/** Share of the decision the rules get at full strength; the examples get the rest. */
const RULE_SHARE_AT_FULL_STRENGTH = 0.75;
/**
 * The summed rule weight at which a precedence category decides alone (one of its strongest terms, or two lesser
 * ones). "Check the comment form for XSS" matched 'XSS' and went to inline_comments: 'comment' and the examples'
 * model (0.84) outvoted it. With security_review first, 5-fold CV on train stays at 490/568; adding
 * critical_validation after it costs one (489), so the default policy lists security alone.
 */
const PRECEDENCE_WEIGHT = 5;

export class TaskClassifier {
  private readonly rules: CompiledRule[];
  private exampleModel: Promise<{ vectors: Float32Array[]; model: ExampleModel }> | undefined;

  constructor(
    private readonly policy: RoutingPolicy,
    private readonly embedder?: EmbeddingProvider,
  ) {
    this.rules = policy.rules.map((rule) => ({ category: rule.category, weight: rule.weight, pattern: compileTerms(rule.terms) }));
  }

  async classify(task: string): Promise<Classification> {
    const rules = this.scoreRules(task);
    const { neighbours, probabilities } = this.embedder ? await this.consultExamples(task) : { neighbours: [], probabilities: new Map<string, number>() };
    // The model speaks only when some example is similar enough to count as evidence.
    const modelProbabilities = neighbours.length > 0 ? probabilities : new Map<string, number>();

    const ruleTotal = sum(rules.scores.values());
    const modelTotal = sum(modelProbabilities.values());
    const ruleTop = Math.max(0, ...rules.scores.values());
    const ruleStrength = Math.min(1, ruleTop / STRONG_RULE_WEIGHT);
    const ruleShareWeight = modelTotal > 0 ? RULE_SHARE_AT_FULL_STRENGTH * ruleStrength : ruleStrength;
    const topSimilarity = Math.max(0, ...neighbours.map((n) => n.similarity));
    const exampleStrength = Math.min(1, Math.max(0, (topSimilarity - MIN_SIMILARITY) / (STRONG_SIMILARITY - MIN_SIMILARITY)));
    // With no rule evidence at all, the examples decide alone once one passed MIN_SIMILARITY: fresh phrasing that
    // no rule knows is what they are for. (The model leans to the commonest category, the default, when unsure:
    // "lift the selected tab state up to the parent", which the 5-nearest vote sent to react_components, now stays
    // on feature_implementation. Weighting the categories equally in training did not help: CV 329-333.)
    const exampleShareWeight = modelTotal > 0 ? (1 - ruleShareWeight) * (ruleTotal > 0 ? exampleStrength : 1) : 0;

    // The share neither side claims is missing evidence, and missing evidence means the documented default: weak
    // evidence for a category must beat it, not merely be the only evidence there is.
    const unclaimed = ruleTotal + modelTotal > 0 ? Math.max(0, 1 - ruleShareWeight - exampleShareWeight) : 0;
    const scores: Record<string, number> = {};
    for (const category of this.policy.categories) {
      const fromRules = ruleTotal > 0 ? ((rules.scores.get(category) ?? 0) / ruleTotal) * ruleShareWeight : 0;
      const fromExamples = modelTotal > 0 ? ((modelProbabilities.get(category) ?? 0) / modelTotal) * exampleShareWeight : 0;
      const fromDefault = category === this.policy.defaultCategory ? unclaimed : 0;
      if (fromRules + fromExamples + fromDefault > 0) scores[category] = round(fromRules + fromExamples + fromDefault);
    }
    const ranked = Object.entries(scores).sort((a, b) => b[1] - a[1] || this.order(a[0]) - this.order(b[0]));
    const first = this.policy.precedence?.find((category) => (rules.scores.get(category) ?? 0) >= PRECEDENCE_WEIGHT);
    if (first) {
      const matched = this.explain(first, rules.matches, []);
      return { category: first, confidence: scores[first] ?? 0, reason: `${matched}; ${first} takes precedence`, scores };
    }
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
    // The default won on missing evidence when nothing checkable speaks for it and most of its score is the share
    // no one claimed (not the examples' model).
    const checkable = this.explain(category, rules.matches, neighbours);
    const weak = category === this.policy.defaultCategory && !checkable && unclaimed >= confidence - unclaimed;
    const model = exampleShareWeight > 0 ? modelProbabilities.get(category) : undefined;
    const explained = weak ? '' : this.explain(category, rules.matches, neighbours, model);
    const reason = explained || this.explainWeak(ranked, rules.matches, neighbours, exampleShareWeight > 0 ? modelProbabilities : undefined);
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

  /** The nearest examples similar enough to count, and the examples' model's probability per category. */
  private async consultExamples(task: string): Promise<{ neighbours: Neighbour[]; probabilities: Map<string, number> }> {
    const embedder = this.embedder!;
    const { policy } = this;
    this.exampleModel ??= embedExamples(embedder, policy.examples.map((e) => e.task)).then((vectors) => ({
      vectors,
      model: loadExampleModel(embedder.id, policy.categories, policy.examples, vectors),
    }));
    const [{ vectors, model }, [query]] = await Promise.all([this.exampleModel, embedder.embed([task])]);
    const neighbours = policy.examples
      .map((example, i) => ({ ...example, similarity: dot(query!, vectors[i]!) }))
      .filter((n) => n.similarity >= MIN_SIMILARITY)
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, NEIGHBOURS);
    return { neighbours, probabilities: categoryProbabilities(model, query!) };
  }

  private explain(category: string, matches: Map<string, Array<[string, number]>>, neighbours: Neighbour[], model?: number): string {
    const parts: string[] = [];
    const matched = (matches.get(category) ?? []).sort((a, b) => b[1] - a[1]).slice(0, 4);
    if (matched.length > 0) parts.push(`rule: matched ${matched.map(([text]) => `'${text}'`).join(', ')}`);
    const similar = neighbours.filter((n) => n.category === category).slice(0, 2);
    if (similar.length > 0) {
      parts.push(`nearest examples: ${similar.map((n) => `'${n.task}' (${n.similarity.toFixed(2)})`).join(', ')}`);
    }
    if (model !== undefined) parts.push(`examples' model: ${model.toFixed(2)}`);
    return parts.join('; ');
  }

  /** The default won on missing evidence: say what the runner-up had and why it was not enough. */
  private explainWeak(
    ranked: Array<[string, number]>,
    matches: Map<string, Array<[string, number]>>,
    neighbours: Neighbour[],
    model: Map<string, number> | undefined,
  ): string {
    const runnerUp = ranked.find(([category]) => category !== this.policy.defaultCategory);
    if (!runnerUp) return 'default category';
    // The model's probability only when nothing else speaks for the runner-up: rules and quotes are checkable.
    const evidence = this.explain(runnerUp[0], matches, neighbours) || this.explain(runnerUp[0], matches, neighbours, model?.get(runnerUp[0]) ?? 0);
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
