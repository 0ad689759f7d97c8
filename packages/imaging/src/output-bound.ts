// An upper bound on a variant's output pixels, so a small input can't be blown up into a huge output.
import type { Variant } from './recipe.schema';

export function outputPixelBound(
  src: { width: number; height: number },
  v: Pick<Variant, 'width' | 'height' | 'fit' | 'enlarge'>,
): number {
  const area = src.width * src.height;
  const { width: w, height: h } = v;
  if (w === undefined && h === undefined) return area;
  // `contain` pads to the box even without enlargement; the other fits only crop or scale.
  if (w !== undefined && h !== undefined && v.fit === 'contain') return w * h;
  if (!v.enlarge) return area;
  if (w !== undefined && h !== undefined && (v.fit === 'cover' || v.fit === 'fill')) return w * h;
  const sx = w === undefined ? undefined : w / src.width;
  const sy = h === undefined ? undefined : h / src.height;
  const scale =
    sx !== undefined && sy !== undefined
      ? v.fit === 'outside'
        ? Math.max(sx, sy)
        : Math.min(sx, sy)
      : (sx ?? sy ?? 1);
  return Math.ceil(src.width * scale) * Math.ceil(src.height * scale);
}
