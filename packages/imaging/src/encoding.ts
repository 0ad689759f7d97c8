// How each output format is encoded: as the recipe asks, or as one step of the max_bytes search.
import type { Sharp } from 'sharp';
import type { ImageFormat } from './image-format';

/** Quality when a variant sets none (the default recipe sets 50 explicitly). */
export const DEFAULT_QUALITY = 80;
/** libaom effort: 2 is ~10x faster than 4 here for ~5% larger files (800x600: 0.15 s vs 1.6 s). */
export const AVIF_EFFORT = 2;
const WEBP_EFFORT = 4;
/** libimagequant effort: 3 is ~6x faster than the default 7 here (1024 px photo: 0.3 s vs 1.8 s), ~10% larger. */
const PALETTE_EFFORT = 3;

/**
 * `step` (1 = smallest .. 100) is a max_bytes search step: the quality for lossy formats, the palette size for
 * PNG and GIF. Without it the encode is the one asked for; `tight` then spends extra CPU on lossless PNG
 * (zlib 9 with adaptive filters, ~35% smaller on photos), worth it only when a byte budget is at stake.
 */
export type EncodeAs = { quality: number | undefined; step?: number; tight?: boolean };

/** Palette size at a search step: 2 colours at step 1, doubling roughly every 14 steps, 256 at step 100. */
export const paletteColours = (step: number): number => Math.round(2 ** (1 + (7 * (step - 1)) / 99));

/** Whether the encoded output can carry alpha (if not, it is flattened onto a background first). */
export function keepsAlpha(format: ImageFormat, e: EncodeAs): boolean {
  if (format === 'jpeg') return false;
  if (format === 'tiff') return (e.step ?? e.quality) === undefined; // JPEG-compressed TIFF drops alpha
  return true;
}

export function applyEncoding(p: Sharp, format: ImageFormat, e: EncodeAs): Sharp {
  const lossyQuality = e.step ?? e.quality ?? DEFAULT_QUALITY;
  switch (format) {
    case 'jpeg':
      return p.jpeg({ quality: lossyQuality });
    case 'webp':
      return p.webp({ quality: lossyQuality, effort: WEBP_EFFORT });
    case 'avif':
      return p.avif({ quality: lossyQuality, effort: AVIF_EFFORT });
    case 'tiff': {
      const quality = e.step ?? e.quality;
      return quality === undefined
        ? p.tiff({ compression: 'lzw', predictor: 'horizontal' })
        : p.tiff({ compression: 'jpeg', quality });
    }
    case 'png':
      if (e.step === undefined && e.quality === undefined) {
        return e.tight ? p.png({ compressionLevel: 9, adaptiveFiltering: true }) : p.png();
      }
      return p.png({
        palette: true,
        quality: e.quality ?? 100,
        colours: e.step === undefined ? 256 : paletteColours(e.step),
        effort: PALETTE_EFFORT,
        compressionLevel: 9,
      });
    case 'gif':
      return e.step === undefined ? p.gif() : p.gif({ colours: paletteColours(e.step) });
  }
}

/**
 * The steps below the asked encode, ascending: max_bytes only ever lowers quality. AVIF encodes are slow, so
 * it searches a coarse grid (1, 5, 10, ...): at most 5 encodes after the first instead of 7.
 */
export function searchSteps(format: ImageFormat, quality: number | undefined): number[] {
  let top: number;
  if (format === 'png' || format === 'gif') top = quality === undefined && format === 'png' ? 100 : 99;
  else if (format === 'tiff') top = (quality ?? 101) - 1;
  else top = (quality ?? DEFAULT_QUALITY) - 1;
  const steps: number[] = [];
  for (let step = 1; step <= top; step++) {
    if (format !== 'avif' || step === 1 || step % 5 === 0) steps.push(step);
  }
  return steps;
}
