/**
 * Names from the codebase (file names, symbols, folders, paths in messages) as text shows them: control characters
 * escaped, as ls and rg do, so a name cannot drive the terminal (ESC starts colour and cursor sequences) nor split a
 * one-per-line list (a newline). Line separators and bidi overrides are escaped too: they move what is shown. Text
 * for models (the pre-search block, MCP answers) needs it as much: a newline in a file name would start a line of
 * its own there, a forged `Verdict:` or a fence. JSON output keeps names exact.
 */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function printable(name: string): string {
  return name.replace(UNPRINTABLE, escaped);
}

/**
 * Text meant to be read as lines (a model's answer, shaped by the indexed code and so open to prompt injection):
 * escaped as names are, except that newlines and tabs stay layout. A carriage return is escaped: it sends the
 * cursor back so that later text hides earlier text on the line.
 */
export function printableLines(text: string): string {
  return text.replace(UNPRINTABLE, (char) => (char === '\n' || char === '\t' ? char : escaped(char)));
}

function escaped(char: string): string {
  const code = char.charCodeAt(0);
  return NAMED[char] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * The first line of a message another program wrote (a server's error, a CLI's stderr), escaped: it is printed and
 * kept (ask, route's reason, model-limits.json).
 */
export function firstLine(text: string): string {
  return printable(text.split('\n')[0]!);
}

/**
 * A path as one word of a shell command shown for copying ("run `codectx index …`"): single-quoted when it holds
 * anything but plain path characters, with ' written as '\''. Seen: "run `codectx index /tmp/a dir`" pasted
 * indexed /tmp/a. Then made printable: a control character shown escaped beats one that drives the terminal.
 */
export function shellArg(path: string): string {
  const word = /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
  return printable(word);
}

/**
 * A task or query repeated back (a block's header, a verdict's "searched:"): on one line, at most `maxChars`. The
 * reader already has it whole; an MCP client's 1 MB task came back three times in a 3 MB answer.
 */
export function echoed(text: string, maxChars = 200): string {
  const line = text.trim().replace(/\s+/g, ' ');
  return line.length <= maxChars ? line : `${line.slice(0, maxChars - 1)}…`;
}

/** "1 file", "2 files": a count with its noun. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** A size on disk as people read it: "3.2 MiB", "1.1 GiB", "12 KiB". */
export function binaryBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${+(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${+(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.ceil(bytes / 2 ** 10)} KiB`;
}

/** Relative time for humans: "12s ago", "3h ago". */
export function ago(iso: string, now = Date.now()): string {
  return `${elapsed(iso, now)} ago`;
}

/** Time since then, for humans: "12s", "3h". */
export function elapsed(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

/** Characters an HTTP header value cannot hold (tabs can). */
const UNSENDABLE_IN_HEADER = /[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]/;

/**
 * Why the key in environment variable `name` cannot be sent, if it cannot: fetch refuses such a header with a
 * message that quotes it, and the key's first line reached stderr (and CI logs).
 */
export function unsendableKey(name: string, key: string): string | undefined {
  return UNSENDABLE_IN_HEADER.test(key) ? `${name} holds a line break or another control character, which an HTTP header cannot carry; set it to the key alone` : undefined;
}
