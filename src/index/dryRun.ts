import { createChunker, estimateWordPieceTokens, languageForPath } from '../chunk/chunker.js';
import type { CodectxConfig } from '../config/config.js';
import { embeddingCostUsd, LOCAL_MAX_TOKENS } from '../embed/index.js';
import { readSourceFile } from '../files/read.js';
import type { Codebase } from './codebase.js';
import { chunkBudget, embeddingText, sha256 } from './chunkRecords.js';
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
 * What `index` would do, without loading a model or touching the store: the same walk and diff, the same
 * chunker, and token counts estimated by the chunker, so a paid provider's bill is known up front.
 */
export async function planIndex(codebase: Codebase, config: CodectxConfig): Promise<IndexPlan> {
  const manifest = await Manifest.load(codebase.indexDir);
  const diff = await diffTree(codebase.root, manifest, { maxFileBytes: config.maxFileBytes, ignore: config.ignore });
  const chunker = await createChunker({ maxTokens: budgetFor(config) });
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

  for (const file of diff.toRead) {
    const entry = manifest.files.get(file.path);
    const read = await readSourceFile(file.absPath, codebase.root);
    if (!read.ok) {
      skip(read.reason);
      continue;
    }
    if (entry && entry.hash === sha256(read.bytes)) {
      plan.filesUnchanged++;
      continue;
    }
    const chunks = await chunker.chunk(file.path, read.text);
    const language = chunks[0]?.language ?? languageForPath(file.path) ?? 'text';
    plan.filesToIndex++;
    plan.filesByLanguage[language] = (plan.filesByLanguage[language] ?? 0) + 1;
    plan.estimatedChunks += chunks.length;
    for (const chunk of chunks) plan.estimatedTokens += estimateWordPieceTokens(embeddingText(chunk));
  }
  plan.estimatedCostUsd = embeddingCostUsd(config.embedding, plan.estimatedTokens);
  return plan;
}

function budgetFor(config: CodectxConfig): number {
  return chunkBudget(config.chunkTokens, config.embedding.provider === 'local' ? LOCAL_MAX_TOKENS : 8191);
}
