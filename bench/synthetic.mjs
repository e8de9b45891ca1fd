// Deterministic random data for the store benches: one seed gives the same corpus and queries on every run.

/** A seeded generator (LCG) with Gaussian draws and random unit vectors of `dim` dimensions. */
export function seededRandom(seed, dim) {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const gaussian = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  /** Scales `vector` to unit length in place. */
  const normalise = (vector) => {
    let norm = 0;
    for (let i = 0; i < dim; i++) norm += vector[i] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < dim; i++) vector[i] /= norm;
    return vector;
  };
  const unitVector = () => {
    const vector = new Float32Array(dim);
    for (let i = 0; i < dim; i++) vector[i] = gaussian();
    return normalise(vector);
  };
  return { random, gaussian, normalise, unitVector };
}
