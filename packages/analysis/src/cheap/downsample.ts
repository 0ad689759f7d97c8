// Box-filter downscaling of the small analysis sample in plain JS: a few milliseconds, where a sharp pipeline per
// copy (colours, placeholder, hash) cost a thread-pool round trip each and, on a busy worker, a wait for a thread.
import type { RawPixels } from '@pixmill/imaging';

/**
 * `px` (RGBA) averaged into `width` x `height` cells (each output pixel the mean of the input pixels it covers).
 * With `greyscale`, one channel of Rec. 709 luma.
 */
export function downsample(px: RawPixels, size: { width: number; height: number; greyscale?: boolean }): RawPixels {
  const { width: w, height: h } = size;
  const ch = px.channels;
  const outCh = size.greyscale ? 1 : ch;
  const sums = new Float64Array(w * h * ch);
  const counts = new Uint32Array(w * h);
  // The output column of each input column, computed once rather than per pixel (this loop is most of the cost).
  const column = new Uint32Array(px.width);
  for (let x = 0; x < px.width; x++) column[x] = Math.min(w - 1, Math.floor((x * w) / px.width));
  const src = px.data;
  for (let y = 0; y < px.height; y++) {
    const row = Math.min(h - 1, Math.floor((y * h) / px.height)) * w;
    let i = y * px.width * ch;
    for (let x = 0; x < px.width; x++, i += ch) {
      const cell = row + column[x]!;
      const o = cell * ch;
      for (let c = 0; c < ch; c++) sums[o + c]! += src[i + c]!;
      counts[cell]!++;
    }
  }
  const data = Buffer.alloc(w * h * outCh);
  for (let cell = 0; cell < w * h; cell++) {
    const n = counts[cell] || 1;
    if (size.greyscale) {
      const r = sums[cell * ch]! / n;
      const g = ch >= 3 ? sums[cell * ch + 1]! / n : r;
      const b = ch >= 3 ? sums[cell * ch + 2]! / n : r;
      data[cell] = Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b);
    } else for (let c = 0; c < ch; c++) data[cell * ch + c] = Math.round(sums[cell * ch + c]! / n);
  }
  return { data, width: w, height: h, channels: outCh as RawPixels['channels'] };
}

/** The size that fits `px` inside `side` x `side`, keeping its proportions (never larger than it is). */
export function fitInside(px: { width: number; height: number }, side: number): { width: number; height: number } {
  const scale = Math.min(1, side / Math.max(px.width, px.height));
  return { width: Math.max(1, Math.round(px.width * scale)), height: Math.max(1, Math.round(px.height * scale)) };
}
