// How each output format is encoded at a "level": the recipe's quality, or a step of the max_bytes search.
import type { Sharp } from 'sharp';
import type { ImageFormat } from './image-format';

/** Quality when a variant sets none (the default recipe sets 50 explicitly). */
export const DEFAULT_QUALITY = 80;
/** libaom effort: 2 is ~10x faster than 4 here for ~5% larger files (800x600: 0.15 s vs 1.6 s). */
export const AVIF_EFFORT = 2;
const WEBP_EFFORT = 4;

/**
 * A level is 1 (smallest) .. 100 (best). `null` means lossless, which ranks above 100: PNG, GIF and TIFF are
 * kept lossless unless a quality is asked for.
 */
export type Level = number | null;

/** The level a variant asks for before any max_bytes squeezing. */
export function askedLevel(format: ImageFormat, quality: number | undefined): Level {
  if (format === 'png' || format === 'gif' || format === 'tiff') return quality ?? null;
  return quality ?? DEFAULT_QUALITY;
}

/** Palette size for palette formats: all 256 colours down to level 50, then halving towards 2 at level 1. */
export function paletteColours(level: number): number {
  if (level >= 50) return 256;
  return Math.max(2, Math.min(256, Math.round(2 ** (1 + (7 * level) / 50))));
}

/** Whether the encoded output can carry an alpha channel (if not, alpha is flattened onto a background). */
export const keepsAlpha = (format: ImageFormat, level: Level): boolean =>
  format !== 'jpeg' && !(format === 'tiff' && level !== null);

/**
 * Sets the encoder. `squeeze` is the max_bytes search: PNG then also spends CPU on the strongest zlib level,
 * which is not worth it for ordinary outputs.
 */
export function applyEncoding(p: Sharp, format: ImageFormat, level: Level, squeeze = false): Sharp {
  switch (format) {
    case 'jpeg':
      return p.jpeg({ quality: level ?? 100 });
    case 'webp':
      return p.webp({ quality: level ?? 100, effort: WEBP_EFFORT });
    case 'avif':
      return p.avif({ quality: level ?? 100, effort: AVIF_EFFORT });
    case 'png':
      return level === null
        ? p.png({ compressionLevel: squeeze ? 9 : 6 })
        : p.png({ palette: true, quality: level, colours: paletteColours(level), compressionLevel: 9 });
    case 'gif':
      return level === null ? p.gif() : p.gif({ colours: paletteColours(level) });
    case 'tiff':
      return level === null
        ? p.tiff({ compression: 'lzw', predictor: 'horizontal' })
        : p.tiff({ compression: 'jpeg', quality: level });
  }
}
