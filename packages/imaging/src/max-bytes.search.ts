// Finds the best encode that fits a byte budget, with as few encodes as a binary search allows.
import type { ImageFormat } from './image-format';
import { ImageError } from './image.error';

export type Encoded = { data: Buffer; info: { width: number; height: number } };

/**
 * Tries the asked encode first; if it is too big, binary-searches `steps` (ascending, smaller output at lower
 * steps) for the highest that fits. Size is not strictly monotonic for every image, so the best fit seen is kept.
 * Throws max_bytes_unreachable when even the lowest step is too big.
 */
export async function encodeWithinBytes(o: {
  format: ImageFormat;
  maxBytes: number;
  steps: number[];
  encode: (step: number | undefined) => Promise<Encoded>;
}): Promise<Encoded> {
  const asked = await o.encode(undefined);
  if (asked.data.length <= o.maxBytes) return asked;

  let best: (Encoded & { step: number }) | undefined;
  let smallest = asked.data.length;
  let lo = 0;
  let hi = o.steps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const step = o.steps[mid]!;
    const out = await o.encode(step);
    smallest = Math.min(smallest, out.data.length);
    if (out.data.length <= o.maxBytes) {
      if (!best || step > best.step) best = { ...out, step };
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (best) return best;
  throw new ImageError(
    'max_bytes_unreachable',
    `${o.format} output cannot fit in ${o.maxBytes} bytes: ${asked.data.length} bytes as asked, ` +
      `${smallest} bytes at the lowest setting`,
  );
}
