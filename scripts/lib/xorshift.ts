/**
 * xorshift32: fast, deterministic pseudo-random numbers in [0, 1) for generated test and demo
 * pictures (Math.random per pixel is several times slower, and not repeatable). A zero state
 * would stay zero forever, so it becomes 1.
 */
export function xorshift32(initialState: number): () => number {
  let state = initialState >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
}
