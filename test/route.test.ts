import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddingProvider } from '../src/embed/index.js';
import type { EmbeddingProvider } from '../src/embed/types.js';
import { ConfigError, UsageError, type CodectxError } from '../src/errors.js';
import { compileTerms, TaskClassifier, type Classification } from '../src/route/classify.js';
import { callCostUsd } from '../src/route/cost.js';
import { resolveModelOverride } from '../src/route/overrides.js';
import { defaultPolicy, fallbackChain, mergePolicy } from '../src/route/policy.js';
import { decideRoute } from '../src/route/router.js';
import { routingSettings } from '../src/route/settings.js';

interface Labelled {
  category: string;
  task: string;
}

function fixture(name: string): Labelled[] {
  return JSON.parse(readFileSync(new URL(`./fixtures/routing/${name}`, import.meta.url), 'utf8')) as Labelled[];
}

const labelled = fixture('labelled-tasks.json');
/** Written after the rules were tuned and never tuned against: how routing does on fresh phrasing. */
const heldOut = fixture('heldout-tasks.json');

async function agreement(classifier: TaskClassifier, tasks: Labelled[]): Promise<{ agreement: number; confusions: string }> {
  const confusions: string[] = [];
  for (const { category, task } of tasks) {
    const result = await classifier.classify(task);
    if (result.category !== category) confusions.push(`${category} → ${result.category}: "${task}" (${result.reason})`);
  }
  return { agreement: 1 - confusions.length / tasks.length, confusions: `confusions:\n${confusions.join('\n')}` };
}

const policy = defaultPolicy();

function classified(category: string): Classification {
  return { category, confidence: 1, reason: 'test', scores: {} };
}

describe('labelled tasks', () => {
  it('covers every category with realistic tasks that are not the shipped examples', () => {
    expect(labelled.length).toBeGreaterThanOrEqual(60);
    expect(new Set(labelled.map((t) => t.category))).toEqual(new Set(policy.categories));
    const shipped = new Set(policy.examples.map((e) => e.task.toLowerCase()));
    expect(labelled.filter((t) => shipped.has(t.task.toLowerCase()))).toEqual([]);
  });

  it('routes ≥ 90% of them to their category with rules only', async () => {
    const result = await agreement(new TaskClassifier(policy), labelled);
    expect(result.agreement, result.confusions).toBeGreaterThanOrEqual(0.9);
  });
});

describe('labelled tasks with the local model (rules + nearest examples)', () => {
  let embedder: EmbeddingProvider;
  beforeAll(async () => {
    process.env.CODECTX_HOME = mkdtempSync(join(tmpdir(), 'codectx-route-'));
    embedder = await createEmbeddingProvider({ provider: 'local' });
  });
  afterAll(() => embedder.close());

  it('routes ≥ 90% of the labelled tasks to their category', async () => {
    const result = await agreement(new TaskClassifier(policy, embedder), labelled);
    expect(result.agreement, result.confusions).toBeGreaterThanOrEqual(0.9);
  });

  it('generalises to fresh phrasing better than rules alone (held-out tasks)', async () => {
    const rulesOnly = await agreement(new TaskClassifier(policy), heldOut);
    const combined = await agreement(new TaskClassifier(policy, embedder), heldOut);
    console.log(`held-out agreement: rules only ${rulesOnly.agreement.toFixed(2)}, rules + examples ${combined.agreement.toFixed(2)}`);
    expect(combined.agreement, combined.confusions).toBeGreaterThanOrEqual(0.8);
    expect(combined.agreement).toBeGreaterThan(rulesOnly.agreement);
  });

  // Issue 17: each was routed by a lone, weakly similar example that outvoted the rules.
  it.each([
    ['write unit tests for res.cookie', 'feature_implementation'], // was security_review → Opus
    ['add rate limiting to the router', 'feature_implementation'], // was codebase_overview
    ['implement caching of rendered views', 'feature_implementation'], // was react_components
    ['Where are signed cookies created in the response?', 'codebase_overview'],
  ])('routes "%s" to %s', async (task, category) => {
    const result = await new TaskClassifier(policy, embedder).classify(task);
    expect(result.category, result.reason).toBe(category);
  });

  // README's own example went to inline_comments (kimi-k2): 'comment' and the examples' model outvoted 'XSS'.
  it('sends a task about a vulnerability to security review even when it also names a comment', async () => {
    const classifier = new TaskClassifier(policy, embedder);
    const routed = await classifier.classify('Check the comment form for XSS');
    expect(routed).toMatchObject({ category: 'security_review', reason: "rule: matched 'XSS'; security_review takes precedence" });
    expect((await classifier.classify('Is the password reset token compared in constant time?')).category).toBe('security_review');
    const withoutPrecedence = new TaskClassifier({ ...policy, precedence: [] }, embedder);
    expect((await withoutPrecedence.classify('Check the comment form for XSS')).category).toBe('inline_comments');
  });

  // A task far from a boundary: "Lock down who can see other tenants' invoices" sat on one (security_review and
  // critical_validation at 0.377 each here, no security example among its neighbours); the same code and packages
  // passed on the machine of 4 December and failed on this one (another CPU, so other float sums in the model).
  it('names the nearest examples and their similarity in the reason', async () => {
    const result = await new TaskClassifier(policy, embedder).classify('Tidy the spacing between the buttons in the toolbar');
    expect(result.category).toBe('css_tweaks');
    expect(result.reason).toMatch(/nearest examples: '[^']+' \(0\.\d\d\)/);
  });
});

describe('classifier', () => {
  it('explains rule matches with the words as written', async () => {
    const result = await new TaskClassifier(policy).classify('Check the comment form for XSS and sanitize the HTML');
    expect(result.category).toBe('security_review');
    expect(result.reason).toMatch(/^rule: matched 'XSS', 'sanitize'/);
    expect(result.confidence).toBeGreaterThan(0.5);
  });

  // Issue 17: weak evidence for a category used to win simply by being the only evidence there was.
  describe('weak evidence leaves the task on the documented default', () => {
    /** Vectors at a chosen cosine to the one example: similarity is the first coordinate. */
    const atSimilarity = (similarity: number) => Float32Array.from([similarity, Math.sqrt(1 - similarity ** 2)]);
    const embedderAt = (similarity: number): EmbeddingProvider => ({
      id: 'test:2d',
      dimension: 2,
      maxTokens: 64,
      countTokens: (text) => text.length,
      embed: async (texts) => texts.map((text) => (text === 'use status code 303 for redirects' ? atSimilarity(1) : atSimilarity(similarity))),
      close: async () => {},
    });
    const small = mergePolicy(defaultPolicy(), {
      replace: ['rules', 'examples'],
      rules: [
        { category: 'api_design', weight: 1, terms: ['version'] },
        { category: 'api_design', weight: 3, terms: ['status code'] },
      ],
      examples: [{ category: 'api_design', task: 'use status code 303 for redirects' }],
    });

    it('does not let a weight-1 term with a weakly similar example decide', async () => {
      process.env.CODECTX_HOME = mkdtempSync(join(tmpdir(), 'codectx-route-'));
      const result = await new TaskClassifier(small, embedderAt(0.25)).classify('Print the version of the redirect helper');
      expect(result.category).toBe('feature_implementation');
      expect(result.reason).toMatch(/^evidence too weak for api_design \(rule: matched 'version'; nearest examples: '[^']+' \(0\.25\); score 0\.\d+\); default category$/);
    });

    it('lets a close example back a weak term', async () => {
      process.env.CODECTX_HOME = mkdtempSync(join(tmpdir(), 'codectx-route-'));
      const result = await new TaskClassifier(small, embedderAt(0.9)).classify('Print the version of the redirect helper');
      expect(result.category, result.reason).toBe('api_design');
    });

    it('lets the examples decide alone when no rule matched (fresh phrasing)', async () => {
      process.env.CODECTX_HOME = mkdtempSync(join(tmpdir(), 'codectx-route-'));
      const result = await new TaskClassifier(small, embedderAt(0.35)).classify('Handle too many redirects');
      expect(result.category, result.reason).toBe('api_design');
    });

    it('does not let one weight-1 term decide, but a weight-3 term does', async () => {
      const weak = await new TaskClassifier(small).classify('Print the version on startup');
      expect(weak.category, weak.reason).toBe('feature_implementation');
      expect(weak.reason).toContain("evidence too weak for api_design (rule: matched 'version'");
      const strong = await new TaskClassifier(small).classify('Return status code 404 when the file is missing');
      expect(strong.category, strong.reason).toBe('api_design');
    });
  });

  // What bench/routing/DEFINITIONS.md names explicitly, in phrasings its rules did not know.
  it.each([
    ['replace deprecated new Buffer() with Buffer.from()', 'basic_javascript'], // "replacing a deprecated built-in", not api deprecation
    ['limit the number of parameters parsed to prevent hash collision DoS', 'security_review'], // "hash-flooding DoS"
    ['summarise the 5000-line changelog', 'large_file_analysis'], // "summarise it", not a docs chore
    ['split the router into its own package', 'architecture_design'], // "should X be a separate module"
  ])('routes "%s" to %s by the written definitions', async (task, category) => {
    const result = await new TaskClassifier(policy).classify(task);
    expect(result.category, result.reason).toBe(category);
  });

  it('counts a member wildcard (date.*) only when a member follows it', () => {
    const pattern = compileTerms(['date.*', 'regex*']);
    expect('use Date.now() instead of new Date().getTime()'.match(pattern)).toEqual(['Date.now']);
    // A sentence that ends in "up to date." names no member of Date; a plain wildcard still matches the bare word.
    expect('bring the docs up to date. Then tag the regex fix'.match(pattern)).toEqual(['regex']);
  });

  it('falls back to the default category, with zero confidence, when nothing matches', async () => {
    const result = await new TaskClassifier(policy).classify('zzz qqq');
    expect(result).toMatchObject({ category: 'feature_implementation', confidence: 0 });
    expect(result.reason).toBe('no rule matched; default category');
  });
});

describe('overrides: --model > CODECTX_MODEL > config model > rules', () => {
  it('takes the highest-priority source given', () => {
    expect(resolveModelOverride(policy, { flag: 'opus', env: 'kimi-k2', config: 'gemini' })).toEqual({ model: 'claude-opus', source: '--model' });
    expect(resolveModelOverride(policy, { env: 'kimi-k2', config: 'gemini' })).toEqual({ model: 'kimi-k2', source: 'CODECTX_MODEL' });
    expect(resolveModelOverride(policy, { config: 'gemini' })).toEqual({ model: 'gemini-2.5-flash', source: 'codectx.config.json model' });
    expect(resolveModelOverride(policy, {})).toBeUndefined();
  });

  it('rejects an unknown name with one line listing the known ones', () => {
    expect(() => resolveModelOverride(policy, { flag: 'gpt-9' })).toThrow(
      new UsageError("unknown model 'gpt-9' (from --model); known: kimi-k2, qwen3-coder, gemini-2.5-flash, claude-sonnet, claude-opus"),
    );
  });

  it('exits 2 for a bad --model and 1 for a bad CODECTX_MODEL or config model, as for a bad store', () => {
    // Seen: CODECTX_MODEL=nope and "model": "nope" exited 2, where CODECTX_STORE=foo and "store": "foo" exit 1.
    const exitCode = (given: { flag?: string; env?: string; config?: string }) => {
      try {
        resolveModelOverride(policy, given);
      } catch (error) {
        return [(error as Error).constructor.name, (error as CodectxError).exitCode];
      }
      return undefined;
    };
    expect(exitCode({ flag: 'gpt-9' })).toEqual(['UsageError', 2]);
    expect(exitCode({ env: 'gpt-9' })).toEqual(['ConfigError', 1]);
    expect(exitCode({ config: 'gpt-9' })).toEqual(['ConfigError', 1]);
  });

  it('beats the rules in the routing decision and says where it came from', () => {
    const decision = decideRoute(policy, {
      classification: classified('css_tweaks'),
      promptTokens: 1000,
      override: { model: 'claude-opus', source: 'CODECTX_MODEL' },
    });
    expect(decision.model).toBe('claude-opus');
    expect(decision.reason).toContain('model from CODECTX_MODEL');
  });
});

describe('routing decision', () => {
  it('routes each category to its model with cost from the catalog', () => {
    const decision = decideRoute(policy, { classification: classified('css_tweaks'), promptTokens: 10_000 });
    expect(decision).toMatchObject({ model: 'kimi-k2', contextFits: true, fallbacks: ['qwen3-coder', 'claude-sonnet'] });
    // Kimi K2: $1 in, $3 out per million; css_tweaks expects 400 output tokens.
    expect(decision.estimatedCostUsd).toBeCloseTo((10_000 * 1 + 400 * 3) / 1e6, 12);
  });

  it('moves a prompt too big for Kimi to a model whose window fits, and says so', () => {
    const decision = decideRoute(policy, { classification: classified('basic_javascript'), promptTokens: 200_000 });
    expect(decision.model).toBe('qwen3-coder');
    expect(decision.contextFits).toBe(true);
    expect(decision.reason).toContain("200600 tokens (prompt 200000 + expected output 600) exceed kimi-k2's 128K window → qwen3-coder (1M)");
    // Sonnet's 200K window cannot take it, so it is no fallback here.
    expect(decision.fallbacks).toEqual([]);
  });

  it('counts the prompt and the expected output apart when it is the output that does not fit', () => {
    // Seen: "18000 tokens exceed …", read as a prompt too big, for a 10000-token prompt and a long expected answer.
    const small = mergePolicy(policy, { models: { 'kimi-k2': { contextWindow: 16_000 } }, expectedOutputTokens: { css_tweaks: 8000 } });
    const decision = decideRoute(small, { classification: classified('css_tweaks'), promptTokens: 10_000 });
    expect(decision.passedOver).toEqual(["18000 tokens (prompt 10000 + expected output 8000) exceed kimi-k2's 16K window → qwen3-coder (1M)"]);
    const forced = decideRoute(small, { classification: classified('css_tweaks'), promptTokens: 10_000, override: { model: 'kimi-k2', source: '--model' } });
    expect(forced.reason).toContain("18000 tokens (prompt 10000 + expected output 8000) exceed kimi-k2's 16K window; kept because of --model");
  });

  it('reports a prompt no window fits, and keeps an explicit model even when it does not fit', () => {
    const huge = decideRoute(policy, { classification: classified('codebase_overview'), promptTokens: 2_000_000 });
    expect(huge.contextFits).toBe(false);
    expect(huge.reason).toContain("2001500 tokens (prompt 2000000 + expected output 1500) exceed every available model's window");
    const forced = decideRoute(policy, {
      classification: classified('css_tweaks'),
      promptTokens: 150_000,
      override: { model: 'kimi-k2', source: '--model' },
    });
    expect([forced.model, forced.contextFits]).toEqual(['kimi-k2', false]);
  });

  it('skips a model at its limit along the fallback chain', () => {
    const decision = decideRoute(policy, {
      classification: classified('security_review'),
      promptTokens: 5000,
      limited: new Map([['claude-opus', '429: rate limited']]),
    });
    expect(decision.model).toBe('claude-sonnet');
    expect(decision.reason).toContain('claude-opus at its limit (429: rate limited) → claude-sonnet');
    expect(decision.passedOver).toEqual(['claude-opus at its limit (429: rate limited) → claude-sonnet']);
    expect(decideRoute(policy, { classification: classified('security_review'), promptTokens: 5000 }).passedOver).toEqual([]);
  });

  it('prices Qwen3-Coder by tier: $3/$15 up to 256K prompt tokens, $6/$60 above', () => {
    const qwen = policy.models['qwen3-coder']!;
    expect(callCostUsd(qwen, 256_000, 1000)).toBeCloseTo((256_000 * 3 + 1000 * 15) / 1e6, 12);
    expect(callCostUsd(qwen, 256_001, 1000)).toBeCloseTo((256_001 * 6 + 1000 * 60) / 1e6, 12);
  });
});

describe('policy', () => {
  it('lets a project extend rules, replace examples and re-point routes', () => {
    const merged = mergePolicy(policy, {
      rules: [{ category: 'css_tweaks', weight: 9, terms: ['stylus'] }],
      examples: [{ category: 'api_design', task: 'Design the billing API' }],
      replace: ['examples'],
      routes: { css_tweaks: 'gemini-2.5-flash' },
      models: { 'kimi-k2': { baseURL: 'http://localhost:11434/v1', apiKeyEnv: undefined } },
    });
    expect(merged.rules).toHaveLength(policy.rules.length + 1);
    expect(merged.examples).toEqual([{ category: 'api_design', task: 'Design the billing API' }]);
    expect(merged.routes.css_tweaks).toBe('gemini-2.5-flash');
    expect(merged.models['kimi-k2']).toMatchObject({ baseURL: 'http://localhost:11434/v1', contextWindow: 131072 });
  });

  it('accepts aliases in routes, fallbacks and caps', () => {
    const merged = mergePolicy(policy, { routes: { css_tweaks: 'gemini' }, fallbacks: { sonnet: 'opus' }, caps: { opus: { dailyUsd: 5 } } });
    expect(merged.routes.css_tweaks).toBe('gemini-2.5-flash');
    expect(merged.fallbacks['claude-sonnet']).toBe('claude-opus');
    expect(merged.caps).toEqual({ 'claude-opus': { dailyUsd: 5 } });
  });

  it('rejects a route to a model the catalog does not have', () => {
    expect(() => mergePolicy(policy, { routes: { css_tweaks: 'gpt-9' } })).toThrow(
      new ConfigError("routing policy: unknown model 'gpt-9' in routes.css_tweaks"),
    );
  });

  it('rejects an unknown category in precedence', () => {
    expect(() => mergePolicy(policy, { precedence: ['security'] })).toThrow(new ConfigError("routing policy: unknown category 'security' in precedence"));
  });

  it('rejects a rule with no terms or an empty term (it would match every task)', () => {
    for (const terms of [[], [''], ['*']]) {
      expect(() => mergePolicy(policy, { rules: [{ category: 'css_tweaks', weight: 9, terms }] })).toThrow(
        new ConfigError("routing policy: a rule for 'css_tweaks' has no terms or an empty term"),
      );
    }
  });

  it('chains fallbacks transitively without cycles', () => {
    expect(fallbackChain(policy, 'kimi-k2')).toEqual(['qwen3-coder', 'claude-sonnet']);
    expect(fallbackChain(mergePolicy(policy, { fallbacks: { 'claude-sonnet': 'claude-opus' } }), 'claude-opus')).toEqual(['claude-sonnet']);
  });
});

describe('project settings (codectx.config.json)', () => {
  it('reads model, routing and context, with the calibrated defaults', () => {
    expect(routingSettings({})).toEqual({ context: { reuseThreshold: 0.5, extendThreshold: 0.25 } });
    const settings = routingSettings({ model: 'qwen', routing: { routes: { css_tweaks: 'gemini' } }, context: { reuseThreshold: 0.7, budgetTokens: 3000 } });
    expect(settings).toEqual({
      model: 'qwen',
      routing: { routes: { css_tweaks: 'gemini' } },
      context: { reuseThreshold: 0.7, extendThreshold: 0.25, budgetTokens: 3000 },
    });
  });
});
