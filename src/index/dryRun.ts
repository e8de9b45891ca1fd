import { languageForPath } from '../chunk/chunker.js';
import type { CodectxConfig } from '../config/config.js';
import { createTokenCounter, embeddingCostUsd } from '../embed/index.js';
import { countChanges } from './changeSet.js';
import type { Codebase } from './codebase.js';
import { embeddingText, indexChunker } from './chunkRecords.js';
import { Manifest } from './manifest.js';
import { diffTree } from './treeDiff.js';

export interface IndexPlan {
  root: string;
  filesScanned: number;
  filesToIndex: number;
  filesUnchanged: number;
  filesToDelete: number;
  filesByLanguage: Record<string, number>;
  skippedByReason: Record<string, number>;
  estimatedChunks: number;
  estimatedTokens: number;
  embedding: string;
  estimatedCostUsd: number;
}

/**
 * What `index` would do, without loading a model or touching the store: the same walk, diff and counting pass
 * with the index's chunker, and tokens counted by the model's tokenizer, so a paid provider's bill is known up front.
 */
export async function planIndex(codebase: Codebase, config: CodectxConfig): Promise<IndexPlan> {
  const manifest = await Manifest.load(codebase.indexDir);
  const diff = await diffTree(codebase.root, manifest, { maxFileBytes: config.maxFileBytes, ignore: config.ignore });
  const chunker = await indexChunker(config);
  const counter = await createTokenCounter(config.embedding);
  const plan: IndexPlan = {
    root: codebase.root,
    filesScanned: diff.walk.files.length,
    filesToIndex: 0,
    filesUnchanged: diff.unchanged.length,
    filesToDelete: diff.deleted.length,
    filesByLanguage: {},
    skippedByReason: {},
    estimatedChunks: 0,
    estimatedTokens: 0,
    embedding: config.embedding.provider === 'local' ? 'local all-MiniLM-L6-v2' : `openai ${config.embedding.model}`,
    estimatedCostUsd: 0,
  };
  const skip = (reason: string) => (plan.skippedByReason[reason] = (plan.skippedByReason[reason] ?? 0) + 1);
  [...diff.walk.skipped, ...diff.stillSkipped].forEach((item) => skip(item.reason));

  // The same counting pass as `index`, with the same chunker and the model's own token counts.
  const set = await countChanges(codebase.root, diff.toRead, manifest, chunker, {
    onChunks: (chunks) => chunks.forEach((chunk) => (plan.estimatedTokens += counter.countTokens(embeddingText(chunk)))),
  });
  set.skipped.forEach(({ skipped }) => skip(skipped.reason));
  plan.filesUnchanged += set.unchanged.length;
  for (const changed of set.changed) {
    const language = changed.language ?? languageForPath(changed.file.path) ?? 'text';
    plan.filesByLanguage[language] = (plan.filesByLanguage[language] ?? 0) + 1;
  }
  plan.filesToIndex = set.changed.length;
  plan.estimatedChunks = set.chunks;
  plan.estimatedCostUsd = embeddingCostUsd(config.embedding, plan.estimatedTokens);
  return plan;
}
