/** Scales a vector to unit length in place (a zero vector stays zero) and returns it. */
export function l2Normalize(vector: Float32Array): Float32Array {
  let sumOfSquares = 0;
  for (const value of vector) sumOfSquares += value * value;
  const norm = Math.sqrt(sumOfSquares);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] /= norm;
  return vector;
}

/**
 * Mean of the first `length` token vectors of row `row` in a [batch, sequence, dimension] tensor: the positions
 * whose attention mask is 1 (padding is always on the right).
 */
export function meanPool(hidden: Float32Array, row: number, sequence: number, dimension: number, length: number): Float32Array {
  const pooled = new Float32Array(dimension);
  const rowStart = row * sequence * dimension;
  for (let position = 0; position < length; position++) {
    const offset = rowStart + position * dimension;
    for (let d = 0; d < dimension; d++) pooled[d] += hidden[offset + d];
  }
  for (let d = 0; d < dimension; d++) pooled[d] /= length;
  return pooled;
}
