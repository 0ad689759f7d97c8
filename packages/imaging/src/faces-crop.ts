// Where a `cover` variant with `position: "faces"` cuts the image so the faces found in it stay in the picture.
import type { Variant } from './recipe.schema';

/** A face in displayed pixels of the source (as @pixmill/analysis reports them). */
export type FaceRegion = { x: number; y: number; width: number; height: number; score?: number };

export type FacesCrop = {
  /** The part of the (oriented) source to keep. */
  region: { left: number; top: number; width: number; height: number };
  /** The output size it is scaled to. */
  width: number;
  height: number;
};

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/**
 * The crop of `source` that a `cover` resize to `variant`'s box would make, moved to keep the faces: centred on the
 * box around all of them when it fits, else on the most prominent face (largest area times score). `null` when the
 * variant is not a cover crop with both sides set, or there is no face (the caller crops by attention then).
 */
export function facesCrop(
  source: { width: number; height: number },
  variant: Pick<Variant, 'fit' | 'width' | 'height' | 'enlarge'>,
  faces: readonly FaceRegion[],
): FacesCrop | null {
  const { width: boxW, height: boxH } = variant;
  if (variant.fit !== 'cover' || boxW === undefined || boxH === undefined || faces.length === 0) return null;
  const { width: w, height: h } = source;
  const scale = Math.max(boxW / w, boxH / h);
  // Never enlarged unless asked: the output is then the part of the box the source can fill at its own size.
  const effective = scale > 1 && !variant.enlarge ? 1 : scale;
  const outW = effective === scale ? boxW : Math.min(boxW, w);
  const outH = effective === scale ? boxH : Math.min(boxH, h);
  const regionW = clamp(Math.round(outW / effective), 1, w);
  const regionH = clamp(Math.round(outH / effective), 1, h);

  const union = faces.reduce(
    (u, f) => ({
      x0: Math.min(u.x0, f.x),
      y0: Math.min(u.y0, f.y),
      x1: Math.max(u.x1, f.x + f.width),
      y1: Math.max(u.y1, f.y + f.height),
    }),
    { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity },
  );
  let focus = union;
  if (union.x1 - union.x0 > regionW || union.y1 - union.y0 > regionH) {
    const main = faces.reduce((a, b) =>
      b.width * b.height * (b.score ?? 1) > a.width * a.height * (a.score ?? 1) ? b : a,
    );
    focus = { x0: main.x, y0: main.y, x1: main.x + main.width, y1: main.y + main.height };
  }
  const cx = (focus.x0 + focus.x1) / 2;
  const cy = (focus.y0 + focus.y1) / 2;
  const left = Math.round(clamp(cx - regionW / 2, 0, w - regionW));
  const top = Math.round(clamp(cy - regionH / 2, 0, h - regionH));
  return { region: { left, top, width: regionW, height: regionH }, width: outW, height: outH };
}
