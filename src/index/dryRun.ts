import { createChunker, estimateTokens, languageForPath } from '../chunk/chunker.js';
import type { CodectxConfig } from '../config/config.js';
import { embeddingCostUsd, LOCAL_MAX_TOKENS } from '../embed/index.js';
import { readSourceFile } from '../files/read.js';
import { walkCodebase } from '../files/walk.js';
import type { Codebase } from './codebase.js';
import { chunkBudget, embeddingText, sha256 } from './chunkRecords.js';
import { Manifest, unchangedSince } from './manifest.js';

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
  const walk = await walkCodebase(codebase.root, { maxFileBytes: config.maxFileBytes, ignore: config.ignore });
  const chunker = await createChunker({ maxTokens: budgetFor(config) });
  const plan: IndexPlan = {
    root: codebase.root,
    filesScanned: walk.files.length,
    filesToIndex: 0,
    filesUnchanged: 0,
    filesToDelete: 0,
    filesByLanguage: {},
    skippedByReason: {},
    estimatedChunks: 0,
    estimatedTokens: 0,
    embedding: config.embedding.provider === 'local' ? 'local all-MiniLM-L6-v2' : `openai ${config.embedding.model}`,
    estimatedCostUsd: 0,
  };
  const skip = (reason: string) => (plan.skippedByReason[reason] = (plan.skippedByReason[reason] ?? 0) + 1);
  walk.skipped.forEach((item) => skip(item.reason));

  const present = new Set(walk.files.map((file) => file.path));
  plan.filesToDelete = [...manifest.files.keys()].filter((path) => !present.has(path)).length;
  for (const file of walk.files) {
    const entry = manifest.files.get(file.path);
    if (unchangedSince(entry, file)) {
      plan.filesUnchanged++;
      continue;
    }
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
    for (const chunk of chunks) plan.estimatedTokens += estimateTokens(embeddingText(chunk));
  }
  plan.estimatedCostUsd = embeddingCostUsd(config.embedding, plan.estimatedTokens);
  return plan;
}

function budgetFor(config: CodectxConfig): number {
  return chunkBudget(config.chunkTokens, config.embedding.provider === 'local' ? LOCAL_MAX_TOKENS : 8191);
}
