// The sharp pipeline: check what the bytes are, read the header once, then render every variant of the recipe.
import sharp, { type Metadata, type Sharp } from 'sharp';
import {
  fromRaw,
  headerOf,
  sampleFrom,
  sampleFromPixels,
  SAMPLE_SIDE,
  toRaw,
  type AnalysisSample,
  type RawPixels,
} from './analysis-pixels';
import { Deadline } from './deadline';
import { facesCrop, type FaceRegion } from './faces-crop';
import { applyEncoding, keepsAlpha, searchSteps, type EncodeAs } from './encoding';
import { contentTypeOf, extensionOf, sniffImageType, sniffUnsupportedType, type ImageFormat } from './image-format';
import { ImageError, onlyMetadataWarnings, toImageError } from './image.error';
import { encodeWithinBytes, type Encoded } from './max-bytes.search';
import { outputPixelBound } from './output-bound';
import type { Recipe, Variant } from './recipe.schema';

export type VariantOutput = {
  variant: string;
  format: ImageFormat;
  contentType: string;
  /** Without the dot, e.g. `jpg`. */
  extension: string;
  width: number;
  height: number;
  bytes: number;
  data: Buffer;
};

export type ProcessImageOptions = {
  /** Width x height above which the input is refused from its header, before any pixel is decoded. */
  maxInputPixels: number;
  /** Budget for the whole image, every variant included. */
  timeoutMs: number;
  /** Also take the analysis sample from the same input and header (`result.sample`). */
  sample?: boolean;
  /** Faces found in the image (displayed pixels), for variants with `position: "faces"`. */
  faces?: readonly FaceRegion[];
};

export type ProcessImageResult = {
  /** width/height as displayed, i.e. after EXIF orientation; `pages` > 1 for animations (only frame 1 is used). */
  source: { format: ImageFormat; width: number; height: number; pages: number };
  outputs: VariantOutput[];
  sample?: AnalysisSample;
};

// libvips' operation cache never hits here (every image is new), so it would only hold up to 50 MB of stale decoded
// data per process.
sharp.cache(false);

/** Above this many output pixels the max_bytes search re-runs the pipeline instead of holding raw pixels. */
const RAW_SEARCH_MAX_PIXELS = 16_000_000;

const formatOfDecoder = (meta: Metadata): ImageFormat | null => {
  switch (meta.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
    case 'tiff':
      return meta.format;
    case 'heif':
      return meta.compression === 'av1' ? 'avif' : null;
    default:
      return null;
  }
};

/** The format by magic bytes; everything else is refused here, so sharp never sees SVG, PDF and the like. */
function identify(input: Buffer): ImageFormat {
  const format = sniffImageType(input);
  if (format) return format;
  const unsupported = sniffUnsupportedType(input);
  if (unsupported) throw new ImageError('unsupported_format', `${unsupported} images are not supported`);
  throw new ImageError('not_an_image', 'the file is not an image (unrecognised content)');
}

/**
 * Renders every variant of `recipe` from one input. The header is read once; each variant is a pipeline of its own
 * on the same buffer (libvips decodes per variant, with shrink-on-load where the format allows).
 * Animated GIF/WebP and multi-page TIFF: only the first frame/page is decoded and written.
 */
export async function processImage(input: Buffer, recipe: Recipe, o: ProcessImageOptions): Promise<ProcessImageResult> {
  const { format, open, meta, deadline } = await openImage(input, o);
  const header = headerOf(meta, format);
  const carrier = o.sample ? sampleCarrier(recipe.variants, meta, format) : undefined;
  const render = async (from: () => Sharp): Promise<ProcessImageResult> => {
    const outputs: VariantOutput[] = [];
    let sample: AnalysisSample | undefined;
    for (const variant of recipe.variants) {
      outputs.push(
        await renderVariant({
          open: from,
          meta,
          source: format,
          variant,
          deadline,
          maxPixels: o.maxInputPixels,
          faces: o.faces ?? [],
          ...(variant === carrier && {
            takeSample: async (px: RawPixels) => void (sample = await sampleFromPixels(px, header, deadline)),
          }),
        }),
      );
    }
    if (o.sample && !sample) sample = await sampleFrom(from(), header, deadline);
    return {
      source: { format, width: meta.autoOrient.width, height: meta.autoOrient.height, pages: meta.pages ?? 1 },
      outputs,
      ...(sample && { sample }),
    };
  };
  try {
    // Any decoder warning fails the image (libjpeg reports corrupt scan data only as a warning), except warnings
    // about metadata alone, which leave the pixels intact: such an image is rendered again, failing on errors only.
    return await render(open).catch((err: unknown) => {
      if (onlyMetadataWarnings(err)) return render(() => decoderOf(input, o, 'error'));
      throw err;
    });
  } catch (err) {
    throw toImageError(err, { format, data: input });
  }
}

/**
 * A sharp instance on the image, one per pipeline; decoding stops at what `failOn` names. Fresh instances rather than
 * .clone()s of one: sharp's clone() structuredClones its options, the input buffer included, so every pipeline copied
 * the whole original (megabytes outside V8's heap, which V8 answers with full collections of the whole heap).
 */
const decoderOf = (input: Buffer, o: Pick<ProcessImageOptions, 'maxInputPixels'>, failOn: 'warning' | 'error') =>
  sharp(input, { limitInputPixels: o.maxInputPixels, failOn, sequentialRead: true, pages: 1 });

export type OpenedImage = {
  format: ImageFormat;
  /** A sharp instance for one pipeline (each decodes with shrink-on-load where the format allows). */
  open: () => Sharp;
  /** An instance to .clone() from (analysis-pixels.ts); a clone copies the input buffer, so prefer `open`. */
  base: Sharp;
  meta: Metadata;
  deadline: Deadline;
};

/** Checks what `input` is and reads its header once. The deadline starts here. */
export async function openImage(
  input: Buffer,
  o: Pick<ProcessImageOptions, 'maxInputPixels' | 'timeoutMs'>,
): Promise<OpenedImage> {
  if (!(o.maxInputPixels > 0) || !(o.timeoutMs > 0)) throw new TypeError('maxInputPixels and timeoutMs must be > 0');
  const deadline = new Deadline(o.timeoutMs);
  let format: ImageFormat | undefined;
  try {
    format = identify(input);
    const base = decoderOf(input, o, 'warning');
    // Header only, with the limit lifted so the refusal below can say how big the image claims to be;
    // every pipeline that decodes pixels keeps sharp's own limit as well.
    const meta = await deadline.run(sharp(input, { limitInputPixels: false, pages: 1 }).metadata());
    const decoder = formatOfDecoder(meta);
    if (decoder !== format) {
      throw new ImageError('unsupported_format', `${meta.format} content is not supported (looked like ${format})`);
    }
    if (meta.width * meta.height > o.maxInputPixels) {
      throw new ImageError(
        'pixel_limit',
        `image is ${meta.width}x${meta.height} (${meta.width * meta.height} pixels), over the limit of ${o.maxInputPixels}`,
      );
    }
    return { format, open: () => decoderOf(input, o, 'warning'), base, meta, deadline };
  } catch (err) {
    throw toImageError(err, format && { format, data: input });
  }
}

/** Above this many output pixels a variant is not worth holding raw to take the sample from it. */
const CARRIER_MAX_PIXELS = 4_200_000;

/**
 * The variant whose decoded pixels can also give the analysis sample (so the original is decoded once): the whole
 * image auto-oriented, scaled down to no less than the sample would be, nothing stripped that the sample keeps
 * (alpha, bit depth), nothing that raw pixels lose (metadata), and an encoder that writes the same bytes from raw
 * pixels as from the pipeline (JPEG, WebP and AVIF were checked; libvips' PNG writer was not byte-identical). The
 * smallest such variant; none, and the sample is a decode of its own.
 */
function sampleCarrier(variants: readonly Variant[], meta: Metadata, source: ImageFormat): Variant | undefined {
  if (meta.hasAlpha || meta.depth !== 'uchar') return undefined;
  const { width: w, height: h } = meta.autoOrient;
  const long = Math.max(w, h);
  let best: { v: Variant; pixels: number } | undefined;
  for (const v of variants) {
    if (!v.auto_orient || !v.strip_metadata || v.max_bytes !== undefined) continue;
    const format = v.format === 'original' ? source : v.format;
    if (format !== 'jpeg' && format !== 'webp' && format !== 'avif') continue;
    const both = v.width !== undefined && v.height !== undefined;
    // cover crops, fill stretches, contain pads: none of them is the whole picture as it is
    if (both && v.fit !== 'inside' && v.fit !== 'outside') continue;
    const sx = v.width === undefined ? undefined : v.width / w;
    const sy = v.height === undefined ? undefined : v.height / h;
    const asked =
      sx !== undefined && sy !== undefined
        ? v.fit === 'outside'
          ? Math.max(sx, sy)
          : Math.min(sx, sy)
        : (sx ?? sy ?? 1);
    const scale = Math.min(1, asked);
    if (asked > 1 && v.enlarge) continue; // an enlarged copy is softer than the original
    const pixels = Math.round(w * scale) * Math.round(h * scale);
    if (Math.round(long * scale) < Math.min(SAMPLE_SIDE, long) || pixels > CARRIER_MAX_PIXELS) continue;
    if (!best || pixels < best.pixels) best = { v, pixels };
  }
  return best?.v;
}

async function renderVariant(c: {
  open: () => Sharp;
  meta: Metadata;
  source: ImageFormat;
  variant: Variant;
  deadline: Deadline;
  maxPixels: number;
  faces: readonly FaceRegion[];
  /** Given the variant's pixels before encoding (then rendered through raw memory; see `sampleCarrier`). */
  takeSample?: (px: RawPixels) => Promise<void>;
}): Promise<VariantOutput> {
  const { variant: v, deadline } = c;
  const format = v.format === 'original' ? c.source : v.format;
  const oriented = v.auto_orient ? c.meta.autoOrient : c.meta;
  const bound = outputPixelBound(oriented, v);
  if (bound > c.maxPixels) {
    throw new ImageError(
      'pixel_limit',
      `variant "${v.name}" would be ${bound} pixels, over the limit of ${c.maxPixels}`,
    );
  }

  // The part every encode of this variant shares: orient, resize, flatten, metadata policy.
  const shaped = (as: EncodeAs): Sharp => {
    let p = c.open();
    if (v.auto_orient) p = p.rotate();
    const alpha = keepsAlpha(format, as);
    // Face boxes are in displayed pixels: they match the pixels here once oriented (or when nothing turns them).
    const facesMatch = v.auto_orient || (c.meta.orientation ?? 1) === 1;
    const crop = v.position === 'faces' && facesMatch ? facesCrop(oriented, v, c.faces) : null;
    if (crop) {
      p = p.extract(crop.region).resize({ width: crop.width, height: crop.height, fit: 'fill' });
    } else if (v.width !== undefined || v.height !== undefined) {
      p = p.resize({
        width: v.width,
        height: v.height,
        fit: v.fit,
        // Without a face to keep, `faces` crops like `attention` (the most interesting part).
        position: v.position === 'faces' ? 'attention' : v.position,
        withoutEnlargement: !v.enlarge,
        background: v.background ?? (alpha ? { r: 0, g: 0, b: 0, alpha: 0 } : '#ffffff'),
      });
    }
    if (!alpha && c.meta.hasAlpha) p = p.flatten({ background: v.background ?? '#ffffff' });
    return v.strip_metadata ? p : p.keepMetadata();
  };
  const encode = (p: Sharp, as: EncodeAs): Promise<Encoded> =>
    deadline.run(
      applyEncoding(p.timeout({ seconds: deadline.sharpSeconds() }), format, as).toBuffer({ resolveWithObject: true }),
    );

  let out: Encoded;
  if (c.takeSample) {
    const as = { quality: v.quality };
    const px = await toRaw(shaped(as), deadline);
    await c.takeSample(px);
    out = await encode(fromRaw(px), as);
  } else if (v.max_bytes === undefined) {
    const as = { quality: v.quality };
    out = await encode(shaped(as), as);
  } else {
    let askedSize: Encoded['info'] | undefined;
    let searchSource: ((as: EncodeAs) => Sharp) | undefined;
    out = await encodeWithinBytes({
      format,
      maxBytes: v.max_bytes,
      steps: searchSteps(format, v.quality),
      encode: async (step) => {
        if (step === undefined) {
          const as = { quality: v.quality, tight: true };
          const encoded = await encode(shaped(as), as);
          askedSize = encoded.info;
          return encoded;
        }
        const as = { quality: v.quality, step };
        searchSource ??= await searchSourceFor(shaped, as, v, askedSize, deadline);
        return encode(searchSource(as), as);
      },
    });
  }
  return {
    variant: v.name,
    format,
    contentType: contentTypeOf(format),
    extension: extensionOf(format),
    width: out.info.width,
    height: out.info.height,
    bytes: out.data.length,
    data: out.data,
  };
}

/**
 * The max_bytes search encodes the same pixels several times: decode and resize them once into raw memory and
 * encode from there. Not when metadata must be kept (raw pixels carry none) or the output is too large to hold;
 * then every step re-runs the pipeline. (Every search step flattens alike, so one raw image serves them all.)
 */
async function searchSourceFor(
  shaped: (as: EncodeAs) => Sharp,
  as: EncodeAs,
  v: Variant,
  size: { width: number; height: number } | undefined,
  deadline: Deadline,
): Promise<(as: EncodeAs) => Sharp> {
  if (!v.strip_metadata || !size || size.width * size.height > RAW_SEARCH_MAX_PIXELS) return shaped;
  const { data, info } = await deadline.run(
    shaped(as).timeout({ seconds: deadline.sharpSeconds() }).raw().toBuffer({ resolveWithObject: true }),
  );
  return () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
}
