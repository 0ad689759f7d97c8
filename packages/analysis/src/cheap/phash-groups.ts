// Near-duplicates by perceptual hash: Hamming distance and grouping (pure: the gateway uses it without sharp).

const popcount32 = (v: number): number => {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
};

type Bits = { hi: number; lo: number };
const bitsOf = (hex: string): Bits => ({ hi: parseInt(hex.slice(0, 8), 16), lo: parseInt(hex.slice(8, 16), 16) });
const distance = (a: Bits, b: Bits) => popcount32((a.hi ^ b.hi) >>> 0) + popcount32((a.lo ^ b.lo) >>> 0);

export const hammingDistance = (a: string, b: string): number => distance(bitsOf(a), bitsOf(b));

/** Every 16-bit mask with at most `r` bits set. */
function flipMasks(r: number): number[] {
  const masks = [0];
  const grow = (mask: number, from: number, left: number) => {
    for (let b = from; b < 16; b++) {
      masks.push(mask | (1 << b));
      if (left > 1) grow(mask | (1 << b), b + 1, left - 1);
    }
  };
  if (r > 0) grow(0, 0, r);
  return masks;
}

/**
 * Groups of items whose hashes are within `maxDistance` bits of each other, chained (a~b and b~c put a, b, c
 * together). Multi-index hashing: two hashes within k bits agree within floor(k/4) bits on at least one of their
 * four 16-bit quarters, so each item is compared only with those whose quarter is that close to one of its own.
 * Only groups of two or more come back, largest first; ids in each group keep the input order.
 */
export function nearDuplicateGroups<T extends { id: string; phash: string }>(
  items: readonly T[],
  maxDistance: number,
): string[][] {
  const n = items.length;
  const hi = new Int32Array(n);
  const lo = new Int32Array(n);
  items.forEach((it, i) => {
    const b = bitsOf(it.phash);
    hi[i] = b.hi;
    lo[i] = b.lo;
  });
  const quarter = (i: number, c: number) =>
    c === 0 ? hi[i]! >>> 16 : c === 1 ? hi[i]! & 0xffff : c === 2 ? lo[i]! >>> 16 : lo[i]! & 0xffff;
  // Per quarter, a linked list of the items holding each 16-bit value (typed arrays: no Map, no garbage).
  const head = [0, 1, 2, 3].map(() => new Int32Array(65536).fill(-1));
  const next = [0, 1, 2, 3].map(() => new Int32Array(n));
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 4; c++) {
      const v = quarter(i, c);
      next[c]![i] = head[c]![v]!;
      head[c]![v] = i;
    }
  const masks = flipMasks(Math.min(16, Math.floor(maxDistance / 4)));

  const parent = Int32Array.from(items, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 4; c++) {
      const v = quarter(i, c);
      for (const m of masks)
        for (let j = head[c]![v ^ m]!; j !== -1; j = next[c]![j]!) {
          if (j <= i) continue;
          const d = popcount32((hi[i]! ^ hi[j]!) >>> 0) + popcount32((lo[i]! ^ lo[j]!) >>> 0);
          if (d <= maxDistance) parent[find(j)] = find(i);
        }
    }
  const groups = new Map<number, string[]>();
  items.forEach((it, i) => {
    const r = find(i);
    const g = groups.get(r);
    if (g) g.push(it.id);
    else groups.set(r, [it.id]);
  });
  return [...groups.values()].filter((g) => g.length > 1).sort((a, b) => b.length - a.length);
}
