/**
 * codectx's own secret rules, for what secretlint's recommended preset lacks: halves of a private key split
 * across chunks (and short or escaped key bodies), token formats the preset does not know (Stripe, Google, JWT,
 * GitLab, Hugging Face…), passwords inside URLs and connection strings that its URL rules miss, literals
 * assigned to secret-like names (also given to a setter, as an environment lookup's default, or as `name=value`
 * in a prompt), and long high-entropy literals. Code that merely handles secrets
 * (`password = input()`, `token = process.env.TOKEN`) is left alone: only literal values are taken.
 */

/** A part of the text to hide: [start, end) and what it is. */
export interface SecretSpan {
  start: number;
  end: number;
  kind: string;
}

// ---- Private keys, whole or in halves -------------------------------------------------------------------------

const PEM_LABEL = String.raw`[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?`;
const BEGIN = String.raw`-----BEGIN ${PEM_LABEL}-----`;
const END = String.raw`-----END ${PEM_LABEL}-----`;
/** Key text on one line, with the escaped newlines of a key inside a JSON or code string. */
const BODY_RUN = String.raw`(?:[A-Za-z0-9+/=]|\\[rn])*`;
/**
 * Key text on one line in several quoted pieces (`"-----BEGIN …-----", "MIIE…", "-----END …-----"` joined in code):
 * runs of body separated by quotes, commas, pluses and spaces. A separator is required between two runs, so the
 * pattern cannot split one run two ways and backtrack.
 */
const BODY_PIECES = String.raw`(?:[ \t"'\`+,]+(?:[A-Za-z0-9+/=]|\\[rn])+)*`;
/** A whole line of key body, possibly quoted and concatenated (`"MIIE…\n" +`). */
const BODY_LINE = String.raw`[ \t"'\`+,]*(?:[A-Za-z0-9+/=]|\\[rn])+[ \t"'\`+,;]*`;
const HEADER_LINE = String.raw`[ \t]*(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset): [^\n]*`;
const KEY_LINES = String.raw`(?:\n(?:${HEADER_LINE}|${BODY_LINE})(?=\n|$)|\n(?=\n))*`;

/** From BEGIN through the body to END, or to the last body line when the END went to another chunk. */
const KEY_FROM_BEGIN = new RegExp(String.raw`${BEGIN}${BODY_RUN}${BODY_PIECES}[ \t"'\`+,;]*${KEY_LINES}(?:\n?[ \t"'\`+,]*${BODY_RUN}${END})?`, 'g');
/** The tail of a key whose BEGIN went to another chunk: the body lines just before a lone END. */
const KEY_TAIL = new RegExp(String.raw`(?:^(?:(?:${HEADER_LINE}|${BODY_LINE})\n)*[ \t"'\`+]*)?${BODY_RUN}${END}`, 'gm');

/**
 * The middle of a key cut into three or more chunks has neither BEGIN nor END: whole lines of base64, two or more
 * in a row, or one long line of it that is random enough to be key material.
 */
const B64_LINE = String.raw`[ \t"'\`+]*[A-Za-z0-9+/]{40,}={0,2}(?:\\n)?[ \t"'\`+,;]*`;
const KEY_BODY_RUN = new RegExp(String.raw`^${B64_LINE}(?:\n${B64_LINE})+$`, 'gm');
const KEY_BODY_LINE = /^[ \t"'`+]*([A-Za-z0-9+/]{60,}={0,2})(?:\\n)?[ \t"'`+,;]*$/gm;
const KEY_MATERIAL_BITS_PER_CHAR = 5;

function privateKeys(text: string): SecretSpan[] {
  // Every line random enough: a row of `////` or `====` separators is not a key.
  const spans = matchSpans(text, KEY_BODY_RUN, 'private-key').filter((span) =>
    text.slice(span.start, span.end).split('\n').every((line) => entropy(line.replace(/[^A-Za-z0-9+/]/g, '')) >= KEY_MATERIAL_BITS_PER_CHAR - 0.5),
  );
  for (const match of text.matchAll(KEY_BODY_LINE)) {
    const value = match[1]!;
    if (entropy(value) >= KEY_MATERIAL_BITS_PER_CHAR) spans.push(spanAt(match.index + match[0].indexOf(value), value, 'private-key'));
  }
  if (text.includes('-----BEGIN ')) spans.push(...matchSpans(text, KEY_FROM_BEGIN, 'private-key'));
  if (text.includes('-----END ')) spans.push(...matchSpans(text, KEY_TAIL, 'private-key').map((span) => withPiecesBefore(text, span)));
  return spans;
}

const PIECE_CHAR = /[A-Za-z0-9+/=\\ \t"'`+,]/;
const PIECE_SEPARATOR = /[ \t"'`+,]/;
// Longer than the body of an 8192-bit key on one line; bounds the walk back from each END.
const MAX_PIECES_LENGTH = 12_000;

/**
 * Widens a key tail over the key pieces on its END's own line (`"MIIE…", "MIIE…", "-----END …"` joined in code).
 * A walk back, not part of KEY_TAIL: the same repetition in the pattern made a long line of `a, b, …` quadratic.
 */
function withPiecesBefore(text: string, span: SecretSpan): SecretSpan {
  const floor = Math.max(0, span.start - MAX_PIECES_LENGTH);
  let start = span.start;
  while (start > floor && PIECE_CHAR.test(text[start - 1]!)) start--;
  while (start < span.start && PIECE_SEPARATOR.test(text[start]!)) start++;
  return { ...span, start };
}

// ---- Token formats ----------------------------------------------------------------------------------------------

const TOKEN_PATTERNS: Array<{ kind: string; pattern: RegExp }> = [
  { kind: 'api-key', pattern: /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}/g },
  { kind: 'stripe-key', pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g },
  { kind: 'stripe-webhook-secret', pattern: /\bwhsec_[A-Za-z0-9+/]{24,}\b/g },
  // Also inside an identifier (`def sk_ghp_…():`): `_` before the prefix is no word boundary.
  { kind: 'github-token', pattern: /(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{30,}(?![A-Za-z0-9])|github_pat_[A-Za-z0-9_]{22,}\b)/g },
  { kind: 'gitlab-token', pattern: /\bgl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_-]{20,}/g },
  { kind: 'slack-token', pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g },
  { kind: 'slack-webhook', pattern: /\bhooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9/_-]{20,}/g },
  { kind: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}(?![\w-])/g },
  { kind: 'google-oauth-secret', pattern: /\bGOCSPX-[A-Za-z0-9_-]{28}(?![\w-])/g },
  { kind: 'npm-token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: 'pypi-token', pattern: /\bpypi-AgE[A-Za-z0-9_-]{50,}/g },
  { kind: 'huggingface-token', pattern: /\bhf_[A-Za-z0-9]{34,}\b/g },
  { kind: 'digitalocean-token', pattern: /\bdo[opr]_v1_[a-f0-9]{64}\b/g },
  { kind: 'sendgrid-key', pattern: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![\w-])/g },
  { kind: 'twilio-key', pattern: /\bSK[0-9a-f]{32}\b/g },
  { kind: 'mailgun-key', pattern: /\bkey-[0-9a-f]{32}\b/g },
  { kind: 'square-token', pattern: /\bsq0(?:atp|csp)-[A-Za-z0-9_-]{22,}/g },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { kind: 'azure-storage-key', pattern: /\bAccountKey=[A-Za-z0-9+/]{40,}={0,2}/g },
];

function tokens(text: string): SecretSpan[] {
  return TOKEN_PATTERNS.flatMap(({ kind, pattern }) => matchSpans(text, pattern, kind));
}

// ---- Credentials in URLs, connection strings and headers --------------------------------------------------------

/** `scheme://user:password@host`: the password only (the preset knows a few schemes; redis://:pw@ and others not). */
const URL_PASSWORD = /\b[a-z][a-z0-9+.-]{1,30}:\/\/[^\s:/@'"`]*:([^\s:/@'"`]{3,})@/gi;
/** `?password=…&`, `;Password=…;` in query strings and ADO/JDBC connection strings. */
const PARAM_SECRET = /[?&;]\s*(?:password|passwd|pwd|access_token|api_key|apikey|client_secret|secret|sig)=([^&;\s'"`]{3,})/gi;
/** A literal bearer or basic credential: `Authorization: Bearer abc…`. */
const AUTH_HEADER = /\b(?:Bearer|Basic)\s+([A-Za-z0-9._~+/-]{20,}=*)/g;

/**
 * Go's MySQL DSN, a database URL without a scheme: `user:password@tcp(db:3306)/app`, `…@unix(/run/mysqld.sock)/app`.
 * From the colon, bounded: a long run of `a:b:c…` must not be scanned to its end from each colon.
 */
const MYSQL_DSN = /:([^\s@'"`]{3,128})@(?:tcp6?|udp|unix)\(/g;
/**
 * Passwords on command lines, for the commands where the flag means one (elsewhere `-p` is a port or a path):
 * `mysql -pPW` (joined: `-p PW` asks for it), `sshpass -p PW`, `curl -u user:PW` (or `--user`). Group 2 is the
 * password, inside its quotes if any.
 */
const COMMAND_LINE_PASSWORDS = [
  /\bmysql(?:dump|admin|import|check|slap|sh)?\b[^\n]*?[ \t]-p(["']?)([^\s"'`]{3,})\1/g,
  /\bsshpass\b[^\n]*?[ \t]-p[ \t]*(["']?)([^\s"'`]{3,})\1/g,
  /\bcurl\b[^\n]*?[ \t](?:-u|--user)(?:[ \t]+|=)(["']?)[^\s:"'`]*:([^\s"'`]{3,})\1/g,
];

function credentialsInText(text: string): SecretSpan[] {
  const commandLine = COMMAND_LINE_PASSWORDS.flatMap((pattern) =>
    [...text.matchAll(pattern)]
      .filter((match) => !PLACEHOLDER.test(match[2]!))
      .map((match) => spanAt(match.index + match[0].lastIndexOf(match[2]!), match[2]!, 'password')),
  );
  return [
    ...commandLine,
    ...groupSpans(text, MYSQL_DSN, 'url-credentials'),
    ...groupSpans(text, URL_PASSWORD, 'url-credentials'),
    ...groupSpans(text, PARAM_SECRET, 'password'),
    ...groupSpans(text, AUTH_HEADER, 'token'),
  ];
}

// ---- Literals assigned to secret-like names ---------------------------------------------------------------------

/**
 * Names whose literal values are secrets: the name ends in one of these words (DB_PASSWORD, clientSecret, apiKey).
 * A salt is public by design (stored beside the hash; flask's `salt = "cookie-session"` names a signing namespace),
 * except WordPress's AUTH_SALT and its kin, which are keys.
 */
const SECRET_WORD = String.raw`(?:password|passwd|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key|private[_-]?key|(?:signing|encryption|hmac|master|session|secret|client|app|webhook)[_-]?key|(?:auth|nonce|logged[_-]?in)[_-]?(?:key|salt)|auth[_-]?token|access[_-]?token|refresh[_-]?token|token|credentials?|pepper)`;
/** Short words that end too many other names (bypass, compass): only whole, or after a separator (pass, DB_PASS, smtp.pw). */
const SHORT_SECRET_WORD = String.raw`(?:pass|pw)`;
/** A few suffixes that still name the secret itself (SECRET_KEY_BASE, api_key_hex). */
const SECRET_SUFFIX = String.raw`(?:[_-]?(?:base|hex|b64|base64|value|prod|live))?`;
const SECRET_NAME = String.raw`(?:[A-Za-z0-9_.-]*?${SECRET_WORD}|(?:[A-Za-z0-9_.-]*?[_.-])?${SHORT_SECRET_WORD})${SECRET_SUFFIX}`;
/**
 * The name as a key or subscript (`"password":`, `config["SECRET_KEY"] =`, `settings[:password] =`), a type
 * annotation (`API_KEY: &str =`, `password: str =`), then the assignment operator.
 */
const NAME_AND_OPERATOR = String.raw`["']?\b${SECRET_NAME}["']?\]?(?:[ \t]*:[ \t]*&?(?:'\w+[ \t]+)?[\w.:<>\[\]]+[ \t]*=|\s*(?::=|=>|[:=]))\s*`;
/** Python's b'…', r"…", rb'…', u'…' and C#'s @"…": the value starts after the quote all the same. */
const STRING_PREFIX = String.raw`(?:[rRbBuU]{1,2}|@)?`;
/** A literal wrapped in a string constructor: `String::from("…")`, `SecretString::new("…")`, `new String("…")`, `str("…")`. */
const STRING_WRAPPER = String.raw`(?:(?:String|\w*Secret\w*)::(?:from|new)\(\s*|(?:new\s+)?String\(\s*|str\(\s*)?`;
/** A quoted value up to its closing quote; the other quotes and escapes (`b'_5#y2L"F4Q8z\n\xec]/'`) are part of it. */
const QUOTED_VALUE = String.raw`(?<quote>["'\`])(?<value>(?:\\.|(?!\k<quote>)[^\\\n]){4,}?)\k<quote>`;

/** `name = "literal"`, `name: 'literal'`, `"name": "literal"`, `name => "literal"`, `config["name"] = b"literal"`. */
const QUOTED_ASSIGNMENT = new RegExp(String.raw`(${NAME_AND_OPERATOR}${STRING_WRAPPER}${STRING_PREFIX})${QUOTED_VALUE}`, 'gi');
/** A setter given one literal: `setPassword("…")`, `with_api_key('…')` (checked for set/with as a word of its own below). */
const SETTER_CALL = new RegExp(String.raw`(\b(?:set|with)_?${SECRET_NAME}\(\s*${STRING_PREFIX})${QUOTED_VALUE}\s*\)`, 'gi');
/**
 * `NAME=value` in env files and YAML `name: value`: an unquoted value with a digit and no code-like characters,
 * maybe followed by a comment (`# prod`, `; prod`).
 */
const UNQUOTED_ASSIGNMENT = new RegExp(String.raw`(^[ \t]*(?:export\s+)?${SECRET_NAME}[ \t]*[:=][ \t]*)([A-Za-z0-9_\-+/=!@#$%^*.~]{6,})(?:[ \t]+[#;][^\n]*)?[ \t]*$`, 'gim');
/**
 * `name=value` between words, as in a prompt or a command line (`use password=hunter3 to log in`, `--password=…`),
 * also in brackets, quotes or backticks and before a comma (`log in (password=hunter3), then …`): a word of its own, so a
 * call's first keyword argument (`f(password=pw1)`) stays out, and a value with a digit (checked below), so a
 * variable passed by name (`f(a, password=db_password)`) does too.
 */
const INLINE_ASSIGNMENT = new RegExp(String.raw`((?<=(?:^|\s)[("'\`[]?)${SECRET_NAME}=)([A-Za-z0-9_\-+/=!@#$%^*.~]{6,}?)(?=[.,;:!?)\]"'\`]*(?:\s|$))`, 'gim');
/**
 * A literal default of an environment lookup: `os.getenv("PW", "…")`, `os.environ.get("PW") or "…"`,
 * `ENV.fetch("PW", "…")`, Laravel's `env('PW', '…')`, Java's `getenv().getOrDefault("PW", "…")` and
 * `getProperty("pw", "…")`, `process.env.PW || "…"`, `ENV["PW"] ?? "…"`, `getenv('PW') ?: '…'`. A secret when the
 * variable read, or the name it is assigned to, is secret-like.
 */
const OR_ELSE = String.raw`(?:or|\|\||\?\?|\?:)`;
const ENV_DEFAULT = new RegExp(
  String.raw`((?:\b(?:getenv|os\.environ\.get|ENV\.fetch|env|getOrDefault|getProperty)\(\s*["'](?<called>[\w.-]+)["']\s*(?:,|\)\s*${OR_ELSE})|\b(?:process\.env|ENV|os\.environ)(?:\.(?<property>\w+)|\[\s*["'](?<key>[\w.-]+)["']\s*\])\s*${OR_ELSE})\s*${STRING_PREFIX})${QUOTED_VALUE}`,
  'g',
);
/**
 * A call given the secret's name as a string, then its literal: `props.setProperty("password", "…")`, wp-config's
 * `define('DB_PASSWORD', '…')`, `map.put("apiKey", "…")` (environment lookups with such names too). A value with a
 * space is a message (`error("password", "is too short")`), not a secret.
 */
const NAMED_ARGUMENT = new RegExp(String.raw`(\w\(\s*(?<named>["'])${SECRET_NAME}\k<named>\s*,\s*${STRING_PREFIX})(?<quote>["'\`])(?<value>[^\s"'\`\\]{4,})\k<quote>`, 'gi');
/** C++ brace initialisation: `std::string password{"…"}`. */
const BRACE_INIT = new RegExp(String.raw`(\b${SECRET_NAME}\s*\{\s*${STRING_PREFIX})${QUOTED_VALUE}\s*\}`, 'gi');
/** An XML element named for the secret: `<password>…</password>` (Maven's settings.xml, Spring, Tomcat). */
const XML_ELEMENT = new RegExp(String.raw`(<(?<tag>${SECRET_NAME})>)(?<value>[^<>\s]{4,})</\k<tag>>`, 'gi');
/** A name and its value as attributes: .NET's `<add key="Password" value="…"/>`, Spring's `<property name="password" value="…"/>`. */
const KEY_VALUE_ATTRIBUTES = new RegExp(String.raw`(\b(?:key|name)\s*=\s*(?<named>["'])${SECRET_NAME}\k<named>\s+value\s*=\s*)${QUOTED_VALUE}`, 'gi');
const WHOLE_SECRET_NAME = new RegExp(String.raw`^${SECRET_NAME}$`, 'i');
const ASSIGNED_TO_SECRET_NAME = new RegExp(String.raw`${NAME_AND_OPERATOR}$`, 'i');
/** A hex literal of 32+ digits assigned to a name that contains a secret-like word anywhere (secret_key_id_hex…). */
const HEX_ASSIGNMENT = /(["']?\b[A-Za-z0-9_.-]*(?:secret|token|passw|pwd|salt|pepper|hmac|signing|encryption|api_?key|private_?key|master_?key)[A-Za-z0-9_.-]*["']?\s*(?::=|=>|[:=])\s*["'`]?)([0-9a-fA-F]{32,})\b/gi;

/** Values that stand in for a secret (`${PW}`, Ruby's `#{…}`), and codectx's own redactions (redacting twice changes nothing). */
const PLACEHOLDER = /^(?:\[REDACTED:[a-z0-9-]+\]|[$#]\{.*\}|\$[A-Z_]+|\{\{.*\}\}|<.*>|%s|\*+|x+|\.\.\.|change[-_]?me|password|secret|passwd|pass|pwd|your[_-].*|process\.env.*)$/i;

/**
 * Values that look like a secret's place but are not one: a version (`"pbkdf2-password": "1.2.1"` in package.json)
 * or a Subresource Integrity digest (`integrity="sha512-…"` in HTML and lockfiles).
 */
const NOT_A_SECRET = /^(?:[~^=v]?\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?|sha(?:1|256|384|512)-[A-Za-z0-9+/]+={0,2})$/;

function assignments(text: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  const take = (match: RegExpExecArray, lead: string, value: string, kind = kindOf(lead)) => {
    if (!PLACEHOLDER.test(value) && !NOT_A_SECRET.test(value)) spans.push(spanAt(match.index + match[0].indexOf(value, lead.length), value, kind));
  };
  for (const match of text.matchAll(QUOTED_ASSIGNMENT)) take(match, match[1]!, match.groups!.value!);
  for (const match of text.matchAll(SETTER_CALL)) {
    // `set`/`with` as a word of their own: setPassword, set_password, not setup_token or withdrawal_pass.
    if (/^(?:set|with)(?:_|[A-Z])/.test(match[1]!)) take(match, match[1]!, match.groups!.value!);
  }
  for (const pattern of [UNQUOTED_ASSIGNMENT, INLINE_ASSIGNMENT]) {
    for (const match of text.matchAll(pattern)) if (/\d/.test(match[2]!)) take(match, match[1]!, match[2]!);
  }
  for (const match of text.matchAll(ENV_DEFAULT)) {
    const variable = match.groups!.called ?? match.groups!.property ?? match.groups!.key!;
    // The line before the lookup, bounded: the name check backtracks over it.
    const before = text.slice(Math.max(text.lastIndexOf('\n', match.index) + 1, match.index - 200), match.index);
    if (WHOLE_SECRET_NAME.test(variable)) take(match, match[1]!, match.groups!.value!, kindOf(variable));
    else if (ASSIGNED_TO_SECRET_NAME.test(before)) take(match, match[1]!, match.groups!.value!, kindOf(before));
  }
  for (const pattern of [NAMED_ARGUMENT, BRACE_INIT, KEY_VALUE_ATTRIBUTES]) {
    for (const match of text.matchAll(pattern)) take(match, match[1]!, match.groups!.value!);
  }
  // `<password>${env.PW}</password>`, `<privateKey>${user.home}/.ssh/id_rsa</privateKey>`: a property, not the value.
  for (const match of text.matchAll(XML_ELEMENT)) if (!match.groups!.value!.includes('${')) take(match, match[1]!, match.groups!.value!);
  for (const match of text.matchAll(HEX_ASSIGNMENT)) take(match, match[1]!, match[2]!, 'hex-secret');
  return spans;
}

function kindOf(name: string): string {
  const lower = name.toLowerCase();
  if (/pass|pwd|\bpw\b|_pw/.test(lower)) return 'password';
  if (/key/.test(lower)) return 'api-key';
  if (/token/.test(lower)) return 'token';
  return 'secret';
}

// ---- Long high-entropy literals ---------------------------------------------------------------------------------

/** Any quoted literal of 24+ key-like characters in an assignment, judged by entropy (hex hashes stay below). */
const LONG_LITERAL = new RegExp(String.raw`((?:[:=]|=>)\s*${STRING_PREFIX})(["'\`])([A-Za-z0-9+/=_-]{24,})\2`, 'g');
const HIGH_ENTROPY_BITS_PER_CHAR = 4.2;

function highEntropyLiterals(text: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  for (const match of text.matchAll(LONG_LITERAL)) {
    const [, lead, , value] = match as unknown as [string, string, string, string];
    if (entropy(value) >= HIGH_ENTROPY_BITS_PER_CHAR && !NOT_A_SECRET.test(value)) spans.push(spanAt(match.index + lead.length + 1, value, 'high-entropy-string'));
  }
  return spans;
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

// ---- Helpers ----------------------------------------------------------------------------------------------------

function spanAt(start: number, value: string, kind: string): SecretSpan {
  return { start, end: start + value.length, kind };
}

function matchSpans(text: string, pattern: RegExp, kind: string): SecretSpan[] {
  return [...text.matchAll(pattern)].filter((m) => m[0].length > 0).map((m) => spanAt(m.index, m[0], kind));
}

/** The span of capture group 1 (the secret) inside each match; placeholders are skipped. */
function groupSpans(text: string, pattern: RegExp, kind: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  for (const match of text.matchAll(pattern)) {
    const value = match[1]!;
    if (PLACEHOLDER.test(value) || NOT_A_SECRET.test(value)) continue;
    spans.push(spanAt(match.index + match[0].lastIndexOf(value), value, kind));
  }
  return spans;
}

/** Every rule of codectx's own, on the original text. */
export function codectxSpans(text: string): SecretSpan[] {
  return [...privateKeys(text), ...tokens(text), ...credentialsInText(text), ...assignments(text), ...highEntropyLiterals(text)];
}
