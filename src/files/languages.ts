import { basename, extname } from 'node:path';

/**
 * Text formats worth indexing beyond the languages that have a grammar: the chunker cuts these with its
 * line/paragraph splitter. Anything else (images, data dumps, unknown extensions) is not source.
 */
const SOURCE_EXTENSIONS = new Set(
  (
    'ts mts cts tsx js mjs cjs jsx py pyi go rs java c h cc cpp cxx hpp hh hxx cs rb php kt kts swift scala sc ' +
    'sh bash zsh fish md mdx markdown rst txt lua r dart ex exs erl hrl hs ml mli clj cljs edn zig nim pl pm ' +
    'sql proto graphql gql html htm vue svelte astro css scss sass less json jsonc yaml yml toml ini cfg conf ' +
    'xml gradle groovy tf hcl cmake mk ps1 psm1 bat cmd m mm vb fs fsx jl sol v sv vhd elm gleam nix'
  ).split(' '),
);

const SOURCE_FILENAMES = new Set([
  'Makefile',
  'GNUmakefile',
  'Dockerfile',
  'Containerfile',
  'Rakefile',
  'Gemfile',
  'Jenkinsfile',
  'Vagrantfile',
  'CMakeLists.txt',
  'BUILD',
  'WORKSPACE',
]);

export function isSourcePath(relPath: string): boolean {
  const name = basename(relPath);
  if (SOURCE_FILENAMES.has(name) || name.startsWith('Dockerfile.')) return true;
  return isSourceExtension(extname(name));
}

/** An extension ("ts" or ".ts", any case) of the files codectx indexes. */
export function isSourceExtension(extension: string): boolean {
  return SOURCE_EXTENSIONS.has(extension.replace(/^\./, '').toLowerCase());
}

/** The extensions codectx indexes, with their dot, for messages. */
export function sourceExtensions(): string[] {
  return [...SOURCE_EXTENSIONS].map((extension) => `.${extension}`);
}
