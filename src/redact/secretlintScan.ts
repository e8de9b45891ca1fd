/**
 * The maintained base of redaction: secretlint with its recommended preset (AWS, GitHub, Slack, OpenAI,
 * Anthropic, SendGrid, Shopify, Linear, 1Password, npm, private keys, basic auth and database URLs). Each report
 * becomes a span of the text to hide.
 */
import { lintSource } from '@secretlint/core';
import { secretLintProfiler } from '@secretlint/profiler';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';
import type { SecretSpan } from './secretRules.js';

type Config = Parameters<typeof lintSource>[0]['options']['config'];
type Message = Awaited<ReturnType<typeof lintSource>>['messages'][number];

// secretlint's profiler is always on: every scan adds ~40 performance marks that are never freed, and each new
// mark is matched by a scan of all earlier ones. In a long-lived MCP server or daemon, after 2,000 scans one took
// 48 ms instead of 0.2 ms and memory kept growing. codectx never reads the profile.
secretLintProfiler.mark = () => {};

const PRESET_ID = '@secretlint/secretlint-rule-preset-recommend';

const CONFIG: Config = {
  rules: [
    {
      id: PRESET_ID,
      rule: recommended,
      rules: [
        // Access key IDs are off by default in the preset; an account ID alone is not a secret.
        { id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true }, allowMessageIds: ['AWSAccountID'] },
        // A `secretlint-disable` comment in the indexed code must not let its secrets through.
        { id: '@secretlint/secretlint-rule-filter-comments', disabled: true },
      ],
    },
  ],
};

/** codectx's names for secretlint's message ids; others keep the rule's short name. */
const KIND_BY_MESSAGE: Record<string, string> = {
  AWSAccessKeyID: 'aws-access-key',
  AWSSecretAccessKey: 'aws-secret-key',
  GITHUB_TOKEN: 'github-token',
  SLACK_TOKEN: 'slack-token',
  SLACK_INCOMING_WEBHOOK: 'slack-webhook',
  OPENAI_TOKEN: 'api-key',
  ANTHROPIC_API_KEY: 'api-key',
  PrivateKey: 'private-key',
  BasicAuth: 'url-credentials',
};

export async function secretlintSpans(text: string): Promise<SecretSpan[]> {
  const result = await lintSource({
    source: { content: text, filePath: 'prompt.txt', ext: '.txt', contentType: 'text' },
    options: { config: CONFIG, noPhysicFilePath: true },
  });
  return result.messages.flatMap((message) => spansOf(text, message));
}

/**
 * The reported range, and every occurrence of the secret values the report names. Where a value overlaps the
 * range, the values alone: some rules report a range that does not cover the value (the AWS secret-key rule
 * pairs the match's start with the value's length, which hid `secretAccessKey = "` and showed the value's end).
 */
function spansOf(text: string, message: Message): SecretSpan[] {
  const kind = KIND_BY_MESSAGE[message.messageId] ?? message.ruleId.replace(/^@secretlint\/secretlint-rule-/, '');
  const reported: SecretSpan = { start: message.range[0], end: message.range[1], kind };
  const named: SecretSpan[] = [];
  for (const value of Object.values(message.data ?? {})) {
    if (typeof value !== 'string' || value.length < 8) continue;
    for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + value.length)) {
      named.push({ start: at, end: at + value.length, kind });
    }
  }
  const spans = named.some((span) => span.start < reported.end && reported.start < span.end) ? named : [reported, ...named];
  return spans.map((span) => endAtClosingQuote(text, span));
}

/**
 * A value in a quoted literal ends at its closing quote: the database URL rules take any character but a space,
 * so `"mongodb://…/app";` lost its `";` to the redaction. The literal's opening quote may stand before a prefix
 * the rule did not take (`"jdbc:postgresql://…"` is reported from `postgresql`): it is the nearest quote before
 * the value with no space between (looked for over a scheme's length, so a long line of no spaces stays linear).
 */
const MAX_PREFIX = 40;

function endAtClosingQuote(text: string, span: SecretSpan): SecretSpan {
  const floor = Math.max(-1, span.start - 1 - MAX_PREFIX);
  let open = span.start - 1;
  while (open > floor && !/[\s"'`]/.test(text[open]!)) open--;
  const quote = text[open];
  if (quote !== '"' && quote !== "'" && quote !== '`') return span;
  const closing = text.indexOf(quote, span.start);
  return closing > span.start && closing < span.end ? { ...span, end: closing } : span;
}
