// colours: a small dominant palette with the share of the image each colour covers, and the average colour.
import type { ColoursResult } from '@pixmill/contracts';
import type { RawPixels } from '@pixmill/imaging';
import { downsample, fitInside } from './downsample';

const SIDE = 64;
const MAX_COLOURS = 6;
/** Colours covering less of the image are left out of the palette (shares are then of what is kept). */
const MIN_SHARE = 0.02;
const ROUNDS = 12;

const hexOf = (r: number, g: number, b: number): string =>
  '#' +
  [r, g, b]
    .map((v) =>
      Math.round(Math.min(255, Math.max(0, v)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('');

/** Opaque pixels of an RGBA image as [r, g, b] triples (a nearly transparent pixel shows no colour). */
function opaquePixels(px: RawPixels): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < px.data.length; i += 4) {
    if ((px.data[i + 3] ?? 255) >= 128) out.push([px.data[i]!, px.data[i + 1]!, px.data[i + 2]!]);
  }
  return out;
}

const dist2 = (a: number[], b: number[]) => (a[0]! - b[0]!) ** 2 + (a[1]! - b[1]!) ** 2 + (a[2]! - b[2]!) ** 2;

/**
 * k-means in RGB, seeded deterministically (the most common coarse colour, then each next seed the pixel farthest
 * from those chosen), so the same image always gives the same palette.
 */
function kmeans(points: number[][], k: number): { centre: number[]; count: number }[] {
  const bins = new Map<number, number>();
  let first = points[0]!;
  let best = 0;
  for (const p of points) {
    const key = ((p[0]! >> 4) << 8) | ((p[1]! >> 4) << 4) | (p[2]! >> 4);
    const n = (bins.get(key) ?? 0) + 1;
    bins.set(key, n);
    if (n > best) [best, first] = [n, p];
  }
  const centres: number[][] = [first.slice()];
  const nearest = points.map((p) => dist2(p, first));
  while (centres.length < k) {
    let far = -1;
    let farDist = 0;
    nearest.forEach((d, i) => {
      if (d > farDist) [farDist, far] = [d, i];
    });
    if (far < 0) break; // fewer distinct colours than k
    const c = points[far]!.slice();
    centres.push(c);
    points.forEach((p, i) => (nearest[i] = Math.min(nearest[i]!, dist2(p, c))));
  }
  const assign = new Int32Array(points.length);
  for (let round = 0; round < ROUNDS; round++) {
    const sums = centres.map(() => [0, 0, 0, 0]);
    points.forEach((p, i) => {
      let j = 0;
      let d = Infinity;
      centres.forEach((c, ci) => {
        const dc = dist2(p, c);
        if (dc < d) [d, j] = [dc, ci];
      });
      assign[i] = j;
      const s = sums[j]!;
      s[0]! += p[0]!;
      s[1]! += p[1]!;
      s[2]! += p[2]!;
      s[3]! += 1;
    });
    let moved = false;
    sums.forEach((s, j) => {
      if (!s[3]) return;
      const next = [s[0]! / s[3], s[1]! / s[3], s[2]! / s[3]];
      if (dist2(next, centres[j]!) > 0.25) moved = true;
      centres[j] = next;
    });
    if (!moved) break;
  }
  const counts = centres.map(() => 0);
  assign.forEach((j) => counts[j]!++);
  return centres.map((centre, j) => ({ centre, count: counts[j]! }));
}

export async function coloursOf(rgba: RawPixels): Promise<ColoursResult> {
  const small = rgba.width * rgba.height > SIDE * SIDE ? downsample(rgba, fitInside(rgba, SIDE)) : rgba;
  const points = opaquePixels(small);
  if (points.length === 0) return { average: '#000000', palette: [] };
  const sum = points.reduce((s, p) => [s[0]! + p[0]!, s[1]! + p[1]!, s[2]! + p[2]!], [0, 0, 0]);
  const average = hexOf(sum[0]! / points.length, sum[1]! / points.length, sum[2]! / points.length);
  const clusters = kmeans(points, MAX_COLOURS)
    .filter((c) => c.count / points.length >= MIN_SHARE)
    .sort((a, b) => b.count - a.count);
  const kept = clusters.reduce((n, c) => n + c.count, 0);
  const palette = clusters.map((c) => ({
    hex: hexOf(c.centre[0]!, c.centre[1]!, c.centre[2]!),
    share: Math.round((c.count / kept) * 1000) / 1000,
  }));
  return { average, palette };
}
