// Finds the best encoding level whose output fits a byte budget, with as few encodes as a binary search allows.
import type { ImageFormat } from './image-format';
import { ImageError } from './image.error';
import type { Level } from './encoding';

export type Encoded = { data: Buffer; info: { width: number; height: number } };

/**
 * Levels to try below the asked one, ascending. AVIF encodes are slow, so it searches a coarse grid
 * (1, 5, 10, ...): at most 5 encodes after the first instead of 7.
 */
export function searchLevels(format: ImageFormat, asked: Level): number[] {
  const top = asked ?? 101;
  const levels: number[] = [];
  for (let level = 1; level < top; level++) {
    if (format !== 'avif' || level === 1 || level % 5 === 0) levels.push(level);
  }
  return levels;
}

/**
 * The asked level is the ceiling: max_bytes only ever lowers quality. Size grows with level (not strictly for
 * every image, so the best fitting encode seen is kept). Throws max_bytes_unreachable when even level 1 is
 * too big.
 */
export async function encodeWithinBytes(o: {
  format: ImageFormat;
  maxBytes: number;
  asked: Level;
  encode: (level: Level, first: boolean) => Promise<Encoded>;
}): Promise<Encoded & { level: Level }> {
  const first = await o.encode(o.asked, true);
  if (first.data.length <= o.maxBytes) return { ...first, level: o.asked };

  const levels = searchLevels(o.format, o.asked);
  let best: (Encoded & { level: number }) | undefined;
  let smallest = first.data.length;
  let lo = 0;
  let hi = levels.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const level = levels[mid]!;
    const out = await o.encode(level, false);
    smallest = Math.min(smallest, out.data.length);
    if (out.data.length <= o.maxBytes) {
      if (!best || level > best.level) best = { ...out, level };
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (best) return best;
  const askedText = o.asked === null ? 'lossless' : `quality ${o.asked}`;
  throw new ImageError(
    'max_bytes_unreachable',
    `${o.format} output cannot fit in ${o.maxBytes} bytes: ${first.data.length} bytes at ${askedText}, ` +
      `${smallest} bytes at the lowest setting`,
  );
}
