/**
 * mulberry32: a small seeded PRNG, uniform in [0, 1). Integer arithmetic on 32-bit values, so a
 * seed gives the same sequence on every machine. The same generator as the tick benchmark's
 * exporter (`monitoring/__benchUtils__/exporter.ts`), the traffic generator's and the model
 * server's.
 *
 * @internal
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
