/**
 * Redacts things that look like secrets before text leaves the machine: private key blocks, well-known token
 * formats (AWS, OpenAI/Anthropic `sk-`, GitHub, Slack, Google, JWTs), string literals assigned to names such as
 * `password` or `api_key`, and long high-entropy literals in any assignment. Code that merely handles secrets
 * (`password = input()`, `apiKey: string`, `token = process.env.TOKEN`) is left alone: only literal values are
 * taken.
 */

export interface RedactionResult {
  text: string;
  count: number;
  /** Redactions per kind, e.g. { 'github-token': 1, 'password': 2 }. */
  byKind: Record<string, number>;
}

interface TokenPattern {
  kind: string;
  pattern: RegExp;
}

const TOKEN_PATTERNS: TokenPattern[] = [
  { kind: 'private-key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g },
  { kind: 'aws-access-key', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'api-key', pattern: /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}/g },
  { kind: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/g },
  { kind: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { kind: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
];

/** Names whose literal values are secrets: the name ends in one of these words (DB_PASSWORD, clientSecret, apiKey). */
const SECRET_NAME = String.raw`[A-Za-z0-9_.-]*?(?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|token|credentials?)`;

/** `name = "literal"`, `name: 'literal'`, `"name": "literal"`, `name => "literal"`. */
const QUOTED_ASSIGNMENT = new RegExp(
  String.raw`(["']?\b${SECRET_NAME}["']?\s*(?::=|=>|[:=])\s*)(["'\`])([^"'\`\n]{4,}?)\2`,
  'gi',
);

/** `NAME=value` in env files and YAML `name: value`: an unquoted value with a digit and no code-like characters. */
const UNQUOTED_ASSIGNMENT = new RegExp(String.raw`(^[ \t]*(?:export\s+)?${SECRET_NAME}[ \t]*[:=][ \t]*)([A-Za-z0-9_\-+/=]{6,})[ \t]*$`, 'gim');

/** Any quoted literal of 24+ key-like characters in an assignment, judged by entropy (hex hashes stay below). */
const LONG_LITERAL = /((?:[:=]|=>)\s*)(["'`])([A-Za-z0-9+/=_-]{24,})\2/g;
const HIGH_ENTROPY_BITS_PER_CHAR = 4.2;

const PLACEHOLDER = /^(?:\$\{.*\}|\{\{.*\}\}|<.*>|\*+|x+|\.\.\.|changeme|your[_-].*|process\.env.*)$/i;

export function redactSecrets(text: string): RedactionResult {
  const byKind: Record<string, number> = {};
  const note = (kind: string) => {
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    return `[REDACTED:${kind}]`;
  };
  let out = text;
  for (const { kind, pattern } of TOKEN_PATTERNS) out = out.replace(pattern, () => note(kind));
  out = out.replace(QUOTED_ASSIGNMENT, (whole, lead: string, quote: string, value: string) =>
    value.startsWith('[REDACTED:') || PLACEHOLDER.test(value) ? whole : `${lead}${quote}${note(kindOf(lead))}${quote}`,
  );
  out = out.replace(UNQUOTED_ASSIGNMENT, (whole, lead: string, value: string) =>
    /\d/.test(value) && !PLACEHOLDER.test(value) ? `${lead}${note(kindOf(lead))}` : whole,
  );
  out = out.replace(LONG_LITERAL, (whole, lead: string, quote: string, value: string) =>
    entropy(value) >= HIGH_ENTROPY_BITS_PER_CHAR ? `${lead}${quote}${note('high-entropy-string')}${quote}` : whole,
  );
  const count = Object.values(byKind).reduce((a, b) => a + b, 0);
  return { text: out, count, byKind };
}

function kindOf(name: string): string {
  const lower = name.toLowerCase();
  if (/pass|pwd/.test(lower)) return 'password';
  if (/key/.test(lower)) return 'api-key';
  if (/token/.test(lower)) return 'token';
  return 'secret';
}

/** Shannon entropy in bits per character. */
function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
