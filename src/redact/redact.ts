/**
 * Redacts secrets before text leaves the machine (prompts to models, MCP answers, hook output). The base is
 * secretlint's recommended preset; codectx's own rules add what it lacks (see secretRules.ts). Both run on the
 * original text, and overlapping finds are merged into one `[REDACTED:kind]`.
 */
import { createHash } from 'node:crypto';
import { codectxSpans, type SecretSpan } from './secretRules.js';
import { secretlintSpans } from './secretlintScan.js';

export interface RedactionResult {
  text: string;
  /** Distinct secrets redacted: one named three times (a task quoted in a prompt's header and body) is one. */
  count: number;
  /** Distinct secrets per kind, e.g. { 'github-token': 1, 'password': 2 }. */
  byKind: Record<string, number>;
  /** Each distinct secret by a digest of its value, with its kind: how results of two texts combine. */
  digests: Map<string, string>;
}

export async function redactSecrets(text: string): Promise<RedactionResult> {
  const spans = merge([...(await secretlintSpans(text)), ...codectxSpans(text)]);
  const digests = new Map<string, string>();
  let out = '';
  let at = 0;
  for (const span of spans) {
    const digest = createHash('sha256').update(text.slice(span.start, span.end)).digest('hex');
    if (!digests.has(digest)) digests.set(digest, span.kind);
    out += `${text.slice(at, span.start)}[REDACTED:${span.kind}]`;
    at = span.end;
  }
  out += text.slice(at);
  return { text: out, ...counted(digests) };
}

/** The text of `main` with the secrets of both: a prompt and the block redacted before it went in. */
export function withRedactionsOf(main: RedactionResult, other: RedactionResult): RedactionResult {
  return { text: main.text, ...counted(new Map([...other.digests, ...main.digests])) };
}

function counted(digests: Map<string, string>): Omit<RedactionResult, 'text'> {
  const byKind: Record<string, number> = {};
  for (const kind of digests.values()) byKind[kind] = (byKind[kind] ?? 0) + 1;
  return { count: digests.size, byKind, digests };
}

/** Overlapping or touching spans become one, named after the widest of them (a key over the token inside it). */
function merge(spans: SecretSpan[]): SecretSpan[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Array<SecretSpan & { width: number }> = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last && span.start <= last.end) {
      if (span.end - span.start > last.width) Object.assign(last, { kind: span.kind, width: span.end - span.start });
      last.end = Math.max(last.end, span.end);
    } else {
      merged.push({ ...span, width: span.end - span.start });
    }
  }
  return merged.map(({ start, end, kind }) => ({ start, end, kind }));
}
