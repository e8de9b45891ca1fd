import { CHUNKER_VERSION, languageForPath } from '../chunk/chunker.js';
import type { CodectxConfig } from '../config/config.js';
import { createTokenCounter, embeddingCostUsd } from '../embed/index.js';
import type { SkippedFile } from '../files/walk.js';
import type { Codebase } from './codebase.js';
import { embeddingText, indexChunker } from './chunkRecords.js';
import { countReasons, planIndex } from './indexPlan.js';
import { Manifest } from './manifest.js';
import { readMetaIfSound, rebuildableChange } from './meta.js';

export interface DryRun {
  root: string;
  filesScanned: number;
  filesToIndex: number;
  filesUnchanged: number;
  /** Deleted, or skipped now: taken out of the index. */
  filesToDelete: number;
  filesByLanguage: Record<string, number>;
  skippedByReason: Record<string, number>;
  /** Every skip by name, in path order: the counts alone left no way to find which files (or folders) they were. */
  skipped: SkippedFile[];
  estimatedChunks: number;
  estimatedTokens: number;
  embedding: string;
  estimatedCostUsd: number;
}

/**
 * What `index` would do, without loading a model or writing anything: the index's own plan (same walk, diff
 * against its file list, `shared` for a shared index, and counting pass with the index's chunker), with tokens
 * counted by the model's tokenizer, so a paid provider's bill is known up front.
 */
export async function dryRunIndex(
  codebase: Codebase,
  config: CodectxConfig,
  { force = false, shared }: { force?: boolean; shared?: Manifest } = {},
): Promise<DryRun> {
  // A rebuild embeds every file again: its plan starts from no manifest (`--force --dry-run` showed 0 to index), as
  // does a run over a local index cut by an older chunker, which rebuilds it (see rebuildableChange).
  // The model is not loaded here, so the rest of the setup is taken as the index's.
  const held = force ? undefined : await readMetaIfSound(codebase.indexDir);
  const recut = held !== undefined && rebuildableChange(held, { ...held, store: config.store, chunkerVersion: CHUNKER_VERSION }) !== undefined;
  // A shared index is planned against the server's file list, as the run diffs against it: this machine's own
  // record is only its last run's view (a teammate's runs since moved the index), and none on a machine new to it.
  const manifest = force || recut ? Manifest.empty(codebase.indexDir) : (shared ?? (await Manifest.load(codebase.indexDir)));
  const counter = await createTokenCounter(config.embedding);
  let estimatedTokens = 0;
  const plan = await planIndex(codebase.root, manifest, {
    chunker: await indexChunker(config),
    maxFileBytes: config.maxFileBytes,
    ignore: config.ignore,
    onChunks: (chunks) => chunks.forEach((chunk) => (estimatedTokens += counter.countTokens(embeddingText(chunk)))),
  });
  const filesByLanguage: Record<string, number> = {};
  for (const changed of plan.changed) {
    const language = changed.language ?? languageForPath(changed.file.path) ?? 'text';
    filesByLanguage[language] = (filesByLanguage[language] ?? 0) + 1;
  }
  return {
    root: codebase.root,
    filesScanned: plan.walk.files.length,
    filesToIndex: plan.changed.length,
    filesUnchanged: plan.unchanged.length + plan.touched.length,
    filesToDelete: plan.deleted.length + plan.dropped.length,
    filesByLanguage,
    skippedByReason: countReasons(plan.skipped),
    skipped: [...plan.skipped].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    estimatedChunks: plan.chunks,
    estimatedTokens,
    embedding: config.embedding.provider === 'local' ? 'local all-MiniLM-L6-v2' : `openai ${config.embedding.model}`,
    estimatedCostUsd: embeddingCostUsd(config.embedding, estimatedTokens),
  };
}
