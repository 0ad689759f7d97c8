// Pixels for image analysis (@pixmill/analysis gives them meaning): a small sample taken from the decode the
// variants already use, scaled copies for OCR and face detection, and the Laplacian that measures sharpness.
import sharp, { type Metadata, type Sharp } from 'sharp';
import { Deadline } from './deadline';
import type { ImageFormat } from './image-format';

export type RawPixels = { data: Buffer; width: number; height: number; channels: 1 | 3 | 4 };

/** What the header says, as read once for the variants. */
export type ImageHeader = {
  format: ImageFormat;
  /** As stored. */
  width: number;
  height: number;
  /** As displayed, after the EXIF orientation. */
  displayWidth: number;
  displayHeight: number;
  orientation: number;
  space: string | null;
  /** Bits per sample. */
  bitDepth: number | null;
  hasAlpha: boolean;
  pages: number;
  exif: Buffer | null;
  icc: Buffer | null;
};

export type AnalysisSample = {
  header: ImageHeader;
  /** RGBA, sRGB, auto-oriented, the longest side at most SAMPLE_SIDE (never enlarged). */
  rgba: RawPixels;
  /** Variance of the Laplacian of the sample's luma: the sharpness measure (see `laplacianVariance`). */
  laplacianVariance: number;
};

/**
 * Side of the analysis sample. Small enough that JPEG and WebP decode it with shrink-on-load (an eighth or a
 * quarter of the work of a full decode), large enough for a sharpness measure that tells focus from blur.
 */
export const SAMPLE_SIDE = 512;

const DEPTH_BITS: Record<string, number> = {
  uchar: 8,
  char: 8,
  ushort: 16,
  short: 16,
  uint: 32,
  int: 32,
  float: 32,
  double: 64,
};

export function headerOf(meta: Metadata, format: ImageFormat): ImageHeader {
  return {
    format,
    width: meta.width,
    height: meta.height,
    displayWidth: meta.autoOrient.width,
    displayHeight: meta.autoOrient.height,
    orientation: meta.orientation ?? 1,
    space: meta.space ?? null,
    bitDepth: meta.bitsPerSample ?? DEPTH_BITS[meta.depth] ?? null,
    hasAlpha: meta.hasAlpha,
    pages: meta.pages ?? 1,
    exif: meta.exif ?? null,
    icc: meta.icc ?? null,
  };
}

export const toRaw = async (p: Sharp, deadline: Deadline): Promise<RawPixels> => {
  const { data, info } = await deadline.run(
    p.timeout({ seconds: deadline.sharpSeconds() }).raw().toBuffer({ resolveWithObject: true }),
  );
  return { data, width: info.width, height: info.height, channels: info.channels as RawPixels['channels'] };
};

export const fromRaw = (px: RawPixels): Sharp =>
  sharp(px.data, { raw: { width: px.width, height: px.height, channels: px.channels } });

/** 4-neighbour Laplacian; libvips adds the offset so negative responses survive the 8-bit result. */
const LAPLACIAN = { width: 3, height: 3, kernel: [0, 1, 0, 1, -4, 1, 0, 1, 0], scale: 1, offset: 128 };

/**
 * Variance of the Laplacian of the luma of `px`, with libvips' convolution and statistics. Responses beyond ±127
 * are clipped, which lowers the figure of very busy images a little and never that of a soft one.
 */
export async function laplacianVariance(px: RawPixels, deadline = new Deadline(10_000)): Promise<number> {
  const edges = await toRaw(fromRaw(px).greyscale().convolve(LAPLACIAN).toColourspace('b-w'), deadline);
  // stats() describes its input, so it reads the convolved pixels as an image of their own.
  const stats = await deadline.run(fromRaw(edges).stats());
  const luma = stats.channels[0];
  return luma ? luma.stdev ** 2 : 0;
}

/** The analysis sample from a sharp instance of the input (a clone is taken; `base` is left as it was). */
export async function sampleFrom(base: Sharp, header: ImageHeader, deadline: Deadline): Promise<AnalysisSample> {
  const rgba = await toRaw(
    base
      .clone()
      .rotate()
      .resize({ width: SAMPLE_SIDE, height: SAMPLE_SIDE, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .ensureAlpha(),
    deadline,
  );
  return { header, rgba, laplacianVariance: await laplacianVariance(rgba, deadline) };
}

/**
 * The analysis sample from pixels a variant already decoded (auto-oriented, the whole image, no alpha lost): a
 * resize of a small raw image instead of a second decode of the original (~7 ms of CPU against ~60 for a photo).
 */
export async function sampleFromPixels(
  px: RawPixels,
  header: ImageHeader,
  deadline: Deadline,
): Promise<AnalysisSample> {
  const rgba = await toRaw(
    fromRaw(px)
      .resize({ width: SAMPLE_SIDE, height: SAMPLE_SIDE, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .ensureAlpha(),
    deadline,
  );
  return { header, rgba, laplacianVariance: await laplacianVariance(rgba, deadline) };
}

/** `px` scaled to exactly `width` x `height` (aspect not kept), optionally as luma only. */
export async function resizePixels(
  px: RawPixels,
  size: { width: number; height: number; fit?: 'fill' | 'inside'; greyscale?: boolean },
): Promise<RawPixels> {
  let p = fromRaw(px).resize({ width: size.width, height: size.height, fit: size.fit ?? 'fill' });
  if (size.greyscale) p = p.greyscale().toColourspace('b-w');
  return toRaw(p, new Deadline(10_000));
}

export type ScaledCopy = {
  /** Longest side at most the asked size; raw pixels or a PNG. */
  pixels: RawPixels;
  /** Displayed size of the original: multiply a coordinate of the copy by `original / copy` to map it back. */
  originalWidth: number;
  originalHeight: number;
};

/** The decoded image, auto-oriented, in sRGB (or luma), scaled down to fit `maxSide`. */
export async function scaledFrom(
  base: Sharp,
  header: ImageHeader,
  o: { maxSide: number; greyscale?: boolean; deadline: Deadline },
): Promise<ScaledCopy> {
  let p = base
    .clone()
    .rotate()
    .resize({ width: o.maxSide, height: o.maxSide, fit: 'inside', withoutEnlargement: true });
  // Alpha flattened onto white: text and faces on a transparent background read as on paper.
  if (header.hasAlpha) p = p.flatten({ background: '#ffffff' });
  p = o.greyscale ? p.greyscale().toColourspace('b-w') : p.toColourspace('srgb').removeAlpha();
  return {
    pixels: await toRaw(p, o.deadline),
    originalWidth: header.displayWidth,
    originalHeight: header.displayHeight,
  };
}

/** A lossless PNG of raw pixels (fast compression: it is read once, by a program). */
export async function encodePng(px: RawPixels): Promise<Buffer> {
  return fromRaw(px).png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer();
}

/** A JPEG of raw pixels, for sending to a vision provider. */
export async function encodeJpeg(px: RawPixels, quality = 85): Promise<Buffer> {
  return fromRaw(px).jpeg({ quality }).toBuffer();
}
