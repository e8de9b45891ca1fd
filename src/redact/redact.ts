/**
 * Redacts secrets before text leaves the machine (prompts to models, MCP answers, hook output). The base is
 * secretlint's recommended preset; codectx's own rules add what it lacks (see secretRules.ts). Both run on the
 * original text, and overlapping finds are merged into one `[REDACTED:kind]`.
 */
import { codectxSpans, type SecretSpan } from './secretRules.js';
import { secretlintSpans } from './secretlintScan.js';

export interface RedactionResult {
  text: string;
  count: number;
  /** Redactions per kind, e.g. { 'github-token': 1, 'password': 2 }. */
  byKind: Record<string, number>;
}

export async function redactSecrets(text: string): Promise<RedactionResult> {
  const spans = merge([...(await secretlintSpans(text)), ...codectxSpans(text)]);
  const byKind: Record<string, number> = {};
  let out = '';
  let at = 0;
  for (const span of spans) {
    byKind[span.kind] = (byKind[span.kind] ?? 0) + 1;
    out += `${text.slice(at, span.start)}[REDACTED:${span.kind}]`;
    at = span.end;
  }
  out += text.slice(at);
  return { text: out, count: spans.length, byKind };
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
