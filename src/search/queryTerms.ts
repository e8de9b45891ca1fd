import { symbolNames } from '../chunk/symbolNames.js';

/**
 * The exact things a task-style query names — flags (`--color=never`), environment variables (`XDG_CONFIG_HOME`),
 * backticked or compound identifiers (`res.cookie`, `parseArgs`, `max_depth`), paths and path prefixes
 * (`cli/config:`, `src/walk.rs`). Plain words are left to BM25 and the vectors; these are worth a match of their own,
 * because a chunk that contains one is almost always about it.
 */
export interface QueryTerms {
  /** Matched case-insensitively as substrings of a chunk's content, symbol or path. */
  exact: string[];
  /** Path-like terms, matched against the chunk's file path. */
  paths: string[];
}

const BACKTICKED = /`([^`\n]{2,80})`/g;
const FLAG = /(?<![\w-])--?[A-Za-z][\w-]*/g;
const ENV_VAR = /\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g;
// camelCase / PascalCase with an inner capital, snake_case, dotted member access, Rust/C++ paths.
const COMPOUND = /\b[A-Za-z_$][\w$]*(?:(?:\.|::|->|#)[A-Za-z_$][\w$]*)+\b|\b[a-z]+[A-Z][\w$]*\b|\b[A-Z][a-z0-9]+[A-Z][\w$]*\b|\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g;
const PATH = /(?:^|[\s(])((?:[\w.-]+\/)+[\w.-]*|[\w-]+\.(?:rs|go|py|js|mjs|cjs|ts|tsx|jsx|rb|java|kt|c|h|cc|cpp|hpp|cs|php|swift|md|ya?ml|toml|json))(?=$|[\s):,])/g;
// Version numbers and the like are not names.
const NOT_A_NAME = /^[\d.]+$|^v\d/;

export function queryTerms(query: string): QueryTerms {
  const exact = new Set<string>();
  const paths = new Set<string>();
  const add = (term: string) => {
    const cleaned = term.replace(/^[.:/]+|[.:/,]+$/g, '');
    if (cleaned.length >= 3 && !NOT_A_NAME.test(cleaned)) exact.add(cleaned.toLowerCase());
  };
  for (const [, inner] of query.matchAll(BACKTICKED)) add(inner!);
  for (const [flag] of query.matchAll(FLAG)) if (flag.startsWith('--') || flag.length === 2) add(flag.split('=')[0]!);
  for (const [name] of query.matchAll(ENV_VAR)) add(name);
  for (const [name] of query.matchAll(COMPOUND)) add(name);
  for (const [, path] of query.matchAll(PATH)) {
    const cleaned = path!.replace(/^\.\//, '').replace(/[:/]+$/, '').toLowerCase();
    if (cleaned.length >= 2 && !NOT_A_NAME.test(cleaned)) paths.add(cleaned);
  }
  // A dotted path like `cli.rs` is both: it may be named in code (mod cli) and is a file.
  return { exact: [...exact].filter((term) => !paths.has(term)), paths: [...paths] };
}

/** The share of `terms` a chunk matches (0 when the query names nothing exact). */
export function exactMatchShare(terms: QueryTerms, chunk: { file: string; symbol: string; container: string; content: string }): number {
  const total = terms.exact.length + terms.paths.length;
  if (total === 0) return 0;
  const file = chunk.file.toLowerCase();
  let text: string | undefined;
  let matched = 0;
  for (const term of terms.exact) {
    text ??= `${chunk.symbol}\n${chunk.content}`.toLowerCase();
    if (text.includes(term) || file.includes(term) || definesMember(term, chunk, file)) matched++;
  }
  for (const path of terms.paths) if (pathMatches(file, path)) matched++;
  return matched / total;
}

const MEMBER_SEPARATOR = /\.|::|->|#/;

/**
 * `Session.verify`, `Sinatra::Runner`, `GraphAdapterBuilder#addType` name a member by its owner; the code that
 * defines it says `def verify` inside `class Session`, so the term never occurs as written. The chunk defines it
 * when one of its names is the member and its container or file names the owner.
 */
function definesMember(term: string, chunk: { symbol: string; container: string }, file: string): boolean {
  const parts = term.split(MEMBER_SEPARATOR);
  if (parts.length < 2) return false;
  const member = parts[parts.length - 1]!;
  const owner = parts[parts.length - 2]!;
  const names = symbolNames(chunk.symbol.toLowerCase()).map((name) => name.split(MEMBER_SEPARATOR).pop()!);
  if (!names.includes(member)) return false;
  const stem = file.slice(file.lastIndexOf('/') + 1).replace(/\.[^.]*$/, '').replace(/[_-]/g, '');
  return chunk.container.toLowerCase().split(MEMBER_SEPARATOR).includes(owner) || stem === owner.replace(/[_-]/g, '');
}

/** `cli/config` matches `src/cli/config.rs`; `walk.rs` matches `src/walk.rs`; segment boundaries only. */
function pathMatches(file: string, path: string): boolean {
  const at = file.indexOf(path);
  if (at < 0) return false;
  const before = at === 0 || file[at - 1] === '/';
  const next = file[at + path.length];
  return before && (next === undefined || next === '/' || next === '.' || next === '_' || next === '-');
}

// Words that carry no meaning in a task ("Allow the working directory to be nonexistent if …"). Code words such
// as `get`, `set`, `is`, `new` and `not` stay: they are identifiers too.
const FUNCTION_WORDS = new Set(
  ('a an the of to in on at by for from with without into onto over under about as than then so such ' +
    'and or but nor if when while whether because since unless until after before ' +
    'is are was were be been being am do does did done has have had having can could should would will shall may might must ' +
    'it its this that these those there here which who whom whose what where why how ' +
    'i we you he she they me us him her them my our your their ' +
    'also just only very more most some any all each every no both either neither other another ' +
    'e.g i.e etc via per').split(' '),
);

/** The query with its function words removed, for the keyword side and the query's vector. */
export function taskText(query: string): string {
  const kept = query.split(/\s+/).filter((word) => !FUNCTION_WORDS.has(word.toLowerCase().replace(/^\W+|\W+$/g, '')));
  return kept.length > 0 ? kept.join(' ') : query;
}
