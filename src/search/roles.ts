import type { ChunkRecord } from '../store/types.js';

/**
 * What part a chunk plays in its codebase. Tasks name code to change, and the code a task asks about rarely lives
 * in tests, docs or configuration, yet those mention the same names (often more often), so on keywords and
 * meaning alike they crowd the implementation out.
 */
export type ChunkRole = 'code' | 'test' | 'docs' | 'config' | 'vendor';

type RoleInput = Pick<ChunkRecord, 'file' | 'language' | 'symbol' | 'container' | 'content'>;

// Third-party code kept in the tree: a task about the project is rarely about it (jq's vendor/decNumber is 40% of jq).
const VENDOR_PATH = /(^|\/)(vendor|vendored|third[_-]?party|3rdparty|external|extern|deps|node_modules|bower_components)\//i;
const TEST_PATH =
  /(^|\/)(tests?|__tests__|spec|specs|testdata|fixtures?)(\/|$)|[._-](test|spec)s?\.[a-z0-9]+$|(^|\/)test_[^/]*$|_test\.go$|Tests?\.(java|kt|cs|swift)$/i;
const DOCS_PATH =
  /(^|\/)(docs?|documentation|examples?|samples?|benchmarks?|bench)(\/|$)|\.(md|mdx|markdown|rst|txt|adoc)$|(^|\/)(changelog|changes|history|news|authors|contributors|readme)([._-][^/]*)?$/i;
const CONFIG_PATH =
  /(^|\/)\.(github|gitlab|circleci|buildkite|devcontainer)\/|\.(ya?ml|json|jsonc|toml|ini|cfg|conf|lock|xml|gradle|properties|editorconfig)$|(^|\/)(dockerfile|makefile|gnumakefile|cmakelists\.txt|jenkinsfile|vagrantfile|gemfile|rakefile|setup\.cfg|tox\.ini|go\.(mod|sum))$/i;

// Tests recognised by their syntax where the path does not say so (Rust unit tests live beside the code).
const TEST_SYMBOL = /^(Test|Benchmark|Fuzz|Example)[A-Z_0-9]|^test_|^test[A-Z]/;
const TEST_SYNTAX =
  /^\s*(#\[(cfg\(test\)|test|tokio::test)\]|@(Test|ParameterizedTest|pytest\.mark\.\w+)\b|(describe|it|test|context)\s*\(\s*['"`]|(describe|it|context)\s+['"][^'"]*['"]\s+do\b)/m;

export function chunkRole(chunk: RoleInput): ChunkRole {
  if (VENDOR_PATH.test(chunk.file)) return 'vendor';
  if (TEST_PATH.test(chunk.file)) return 'test';
  if (chunk.language === 'markdown' || DOCS_PATH.test(chunk.file)) return 'docs';
  if (CONFIG_PATH.test(chunk.file)) return 'config';
  if (chunk.container === 'tests' || chunk.container === 'test' || TEST_SYMBOL.test(chunk.symbol)) return 'test';
  if (TEST_SYNTAX.test(chunk.content)) return 'test';
  return 'code';
}

const ASKS_FOR: Record<Exclude<ChunkRole, 'code'>, RegExp> = {
  vendor: /\b(vendor(ed|ing)?|third[- ]party|upstream)\b/i,
  test: /\b(tests?|testing|unit ?tests?|specs?|fixtures?|test ?cases?|coverage|flaky)\b/i,
  docs: /\b(docs?|documentation|readme|changelog|examples?|benchmarks?|typos?|comments?|docstrings?|history)\b/i,
  config: /\b(ci|workflows?|github actions?|actions|yaml|yml|json|toml|config(uration)? files?|dependabot|docker(file)?|makefile|build|release|packag(e|ing)|version|bump|deps|dependenc(y|ies)|lint(er|ing)?|gradle|maven|pom|go\.mod|cargo\.toml|msrv)\b/i,
};

/** The roles a query asks for by name: those are not discounted. */
export function rolesAskedFor(query: string): Set<ChunkRole> {
  const asked = new Set<ChunkRole>(['code']);
  for (const [role, pattern] of Object.entries(ASKS_FOR)) if (pattern.test(query)) asked.add(role as ChunkRole);
  return asked;
}
