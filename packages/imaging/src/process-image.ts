// The sharp pipeline: check what the bytes are, read the header once, then render every variant of the recipe.
import sharp, { type Metadata, type Sharp } from 'sharp';
import { headerOf, sampleFrom, type AnalysisSample } from './analysis-pixels';
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
  const render = async (from: () => Sharp): Promise<ProcessImageResult> => {
    const outputs: VariantOutput[] = [];
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
        }),
      );
    }
    const sample = o.sample ? await sampleFrom(from(), headerOf(meta, format), deadline) : undefined;
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

async function renderVariant(c: {
  open: () => Sharp;
  meta: Metadata;
  source: ImageFormat;
  variant: Variant;
  deadline: Deadline;
  maxPixels: number;
  faces: readonly FaceRegion[];
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
  if (v.max_bytes === undefined) {
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
