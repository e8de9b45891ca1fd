// LanceDB's native logger reads LANCEDB_LOG once, when its module loads. Its warnings (e.g. k-means notes on
// small or duplicate-heavy tables while building an ANN index) are not the user's business; errors still show.
// Imported for this side effect before '@lancedb/lancedb' in lance.ts.
process.env.LANCEDB_LOG ??= 'error';
