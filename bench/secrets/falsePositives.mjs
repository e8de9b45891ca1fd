// Redactions in real code: the 11 dev repositories (no real secrets; test fixtures may hold fake ones), chunked as
// the indexer chunks them, each chunk redacted alone as it would be on its way out. Also times the redaction.
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { createChunker } from '../../dist/chunk/chunker.js';
import { readSourceFile } from '../../dist/files/read.js';
import { walkCodebase } from '../../dist/files/walk.js';
import { redactSecrets } from '../../dist/redact/redact.js';

export const DEV_REPOS = [
  'pallets+click', 'spf13+cobra', 'tj+commander.js', 'expressjs+express', 'sharkdp+fd', 'gin-gonic+gin',
  'google+gson', 'jqlang+jq', 'psf+requests', 'sinatra+sinatra', 'colinhacks+zod',
];

/** A checkout of a mirror's HEAD under `into` (kept between runs). */
function checkout(mirror, into) {
  if (existsSync(into)) return into;
  mkdirSync(into, { recursive: true });
  execSync(`git -C ${JSON.stringify(mirror)} archive HEAD | tar -x -C ${JSON.stringify(into)}`, { stdio: ['ignore', 'ignore', 'inherit'] });
  return into;
}

/**
 * Per repository: chunks, redactions, chunks with a redaction, ms spent redacting; and every redaction with where
 * it was and what it hid.
 */
export async function falsePositives({ mirrors, workDir }) {
  const chunker = await createChunker();
  const repos = [];
  const finds = [];
  for (const name of DEV_REPOS) {
    const mirror = path.join(mirrors, name, 'repo');
    if (!existsSync(mirror)) {
      repos.push({ name, missing: true });
      continue;
    }
    const root = realpathSync(checkout(mirror, path.join(workDir, name)));
    const { files } = await walkCodebase(root);
    const repo = { name, chunks: 0, redactions: 0, chunksHit: 0, ms: 0 };
    for (const file of files) {
      const read = await readSourceFile(file.absPath, root);
      if (!read.ok) continue;
      for (const chunk of await chunker.chunk(file.path, read.text)) {
        repo.chunks++;
        const start = performance.now();
        const { text, count } = await redactSecrets(chunk.content);
        repo.ms += performance.now() - start;
        if (count === 0) continue;
        repo.redactions += count;
        repo.chunksHit++;
        finds.push({ repo: name, file: file.path, line: chunk.startLine, hidden: hiddenLines(chunk.content, text) });
      }
    }
    repos.push(repo);
  }
  return { repos, finds };
}

/** The lines of the redacted chunk that changed, for showing what was taken. */
function hiddenLines(before, after) {
  const original = new Set(before.split('\n'));
  return after.split('\n').filter((line) => line.includes('[REDACTED:') && !original.has(line)).map((line) => line.trim().slice(0, 160));
}
