import type { Chunker } from '../chunk/chunker.js';
import type { EmbeddingProvider } from '../embed/types.js';
import type { SkippedFile } from '../files/walk.js';
import type { ChunkStore } from '../store/types.js';
import type { Codebase } from './codebase.js';
import type { EmbeddingCache } from './embeddingCache.js';
import type { IndexState } from './indexState.js';
import type { IndexIdentity } from './meta.js';

/** What one index run works with, what it is told, and what it says back: shared by its plan, apply and commit steps. */

export interface IndexProgress {
  /** count: reading and cutting the changed files, to know the totals; embed: embedding against those totals. */
  phase: 'count' | 'embed' | 'done';
  /** Files the counting pass reads (new, or size or mtime moved), and how many it has read. */
  filesToCount: number;
  filesCounted: number;
  /** Changed files and their chunks, known once counting is done; files are done when all their chunks are embedded. */
  filesTotal: number;
  filesDone: number;
  chunksTotal: number;
  chunksDone: number;
  embedded: number;
  embeddingsPerSecond: number;
  /** What the index holds right now (files whose chunks are stored, and those chunks): grows group by group. */
  indexFiles: number;
  indexChunks: number;
}

export interface IndexReport {
  /** Files the walk listed, skipped for their content or not; those it skipped itself (too large) are not among them. */
  filesScanned: number;
  filesChanged: number;
  /** Gone from the tree. */
  filesDeleted: number;
  /** Indexed before, skipped now (grown too large, turned binary…): taken out of the index. */
  filesDropped: number;
  filesUnchanged: number;
  chunksWritten: number;
  embedded: number;
  cacheHits: number;
  /** What the index holds after the run, as `status` shows it: every count a summary prints comes from these. */
  totalFiles: number;
  totalChunks: number;
  skipped: SkippedFile[];
  errors: { file: string; message: string }[];
  seconds: number;
  /** Set when the run rebuilt the index from nothing for a change of setup it may make alone (chunker 3 → 4). */
  rebuiltFor?: string;
}

export interface IndexParts {
  codebase: Codebase;
  identity: IndexIdentity;
  chunker: Chunker;
  embedder: EmbeddingProvider;
  store: ChunkStore;
  /** Where the manifest and metadata live (local files, or a shared index's state table). */
  state: IndexState;
  cache: EmbeddingCache;
  maxFileBytes: number;
  ignore: readonly string[];
  /** Chunk text kept from the counting pass for embedding; the rest is cut again (default KEPT_CHUNK_CHARS). */
  keepChunkChars?: number;
}

export interface IndexOptions {
  onProgress?: (progress: IndexProgress) => void;
  signal?: AbortSignal;
  /** Called between embedding calls: a scheduler may run more urgent work there before this run goes on. */
  yieldTurn?: () => Promise<void>;
  /**
   * Only these paths (relative; files or folders) changed: they are diffed instead of the whole tree. Ignored
   * after an interrupted run, or when the store lost its chunks: the whole tree needs reconciling then.
   */
  paths?: readonly string[];
}

/** A run's progress before its first step: counting, every count at zero. */
export function startingProgress(): IndexProgress {
  return {
    phase: 'count',
    filesToCount: 0,
    filesCounted: 0,
    filesTotal: 0,
    filesDone: 0,
    chunksTotal: 0,
    chunksDone: 0,
    embedded: 0,
    embeddingsPerSecond: 0,
    indexFiles: 0,
    indexChunks: 0,
  };
}

/** One run's progress: its steps move the counts, and every emit hands the listener a copy. */
export class RunProgress {
  readonly now: IndexProgress = startingProgress();
  /** The embedding rate is measured from the end of counting. */
  private embedStarted = performance.now();

  constructor(private readonly listener?: (progress: IndexProgress) => void) {}

  holds(index: { indexedFileCount: number; chunkCount: number }): void {
    this.now.indexFiles = index.indexedFileCount;
    this.now.indexChunks = index.chunkCount;
  }

  startEmbedding(): void {
    this.embedStarted = performance.now();
    this.emit('embed');
  }

  emit(phase: IndexProgress['phase']): void {
    this.now.phase = phase;
    const seconds = (performance.now() - this.embedStarted) / 1000;
    this.now.embeddingsPerSecond = seconds > 0 ? this.now.embedded / seconds : 0;
    this.listener?.({ ...this.now });
  }
}
