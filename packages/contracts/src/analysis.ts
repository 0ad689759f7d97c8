// What a batch may ask pixmill to find out about each image, and the shape of what it finds (stored per image as
// JSON, returned by the API and exports). Every reader parses it: a row may have been written by older code.
import { z } from 'zod';

/** Ride on the resize worker's decode: a few milliseconds an image. */
export const cheapAnalysisKinds = ['metadata', 'colours', 'placeholder', 'phash', 'quality'] as const;
/** Run on the `analyze.image` queue: models (faces, text) or a remote provider (describe). */
export const slowAnalysisKinds = ['faces', 'text', 'describe'] as const;
export const AnalysisKind = z.enum([...cheapAnalysisKinds, ...slowAnalysisKinds]);
export type AnalysisKind = z.infer<typeof AnalysisKind>;
export type CheapAnalysisKind = (typeof cheapAnalysisKinds)[number];
export type SlowAnalysisKind = (typeof slowAnalysisKinds)[number];

export const isCheapKind = (k: AnalysisKind): k is CheapAnalysisKind =>
  (cheapAnalysisKinds as readonly string[]).includes(k);
export const isSlowKind = (k: AnalysisKind): k is SlowAnalysisKind =>
  (slowAnalysisKinds as readonly string[]).includes(k);

/**
 * A batch's `analysis` option: `true` for the cheap set, or a list of kinds; normalised to a sorted list without
 * repeats (`false` and `[]` mean none).
 */
export const AnalysisRequest = z
  .union([z.boolean(), z.array(AnalysisKind).max(AnalysisKind.options.length * 2)])
  .transform((v): AnalysisKind[] => {
    const kinds: readonly AnalysisKind[] = v === true ? cheapAnalysisKinds : v === false ? [] : v;
    return AnalysisKind.options.filter((k) => kinds.includes(k));
  });
export type AnalysisRequest = z.output<typeof AnalysisRequest>;

const hex = z.string().regex(/^#[0-9a-f]{6}$/);
const share = z.number().min(0).max(1);

export const MetadataResult = z.object({
  format: z.string(),
  /** As displayed, i.e. after the EXIF orientation. */
  width: z.int(),
  height: z.int(),
  /** EXIF orientation 1-8 (1 when absent). */
  orientation: z.int().min(1).max(8),
  colour_space: z.string().nullable(),
  /** Bits per channel sample. */
  bit_depth: z.int().nullable(),
  has_alpha: z.boolean(),
  frames: z.int().min(1),
  icc_profile: z.string().nullable(),
  exif: z.object({
    camera: z.string().nullable(),
    lens: z.string().nullable(),
    /** As the camera wrote it (local time, no zone), `YYYY-MM-DDTHH:MM:SS`. */
    taken_at: z.string().nullable(),
    /** Whether the original carries a GPS position (outputs strip metadata unless a variant keeps it). */
    gps: z.boolean(),
  }),
});
export type MetadataResult = z.infer<typeof MetadataResult>;

export const ColoursResult = z.object({
  average: hex,
  /** Most present first; shares add up to 1 (rounded). */
  palette: z.array(z.object({ hex, share })).max(8),
});
export type ColoursResult = z.infer<typeof ColoursResult>;

export const PlaceholderResult = z.object({ thumbhash: z.string().max(200) });
export type PlaceholderResult = z.infer<typeof PlaceholderResult>;

/** 64-bit DCT perceptual hash as 16 hex digits; near-duplicates differ in few bits. */
export const PHashResult = z.string().regex(/^[0-9a-f]{16}$/);

export const QualityResult = z.object({
  /** Variance of the Laplacian of the greyscale image scaled to at most 512 px a side. */
  sharpness: z.number().min(0),
  blurry: z.boolean(),
  /** Mean luma 0-1. */
  brightness: share,
  /** Share of pixels at the top / bottom 2 % of the luma range. */
  clipped_highlights: share,
  clipped_shadows: share,
});
export type QualityResult = z.infer<typeof QualityResult>;

export const FaceBox = z.object({
  /** Pixels of the displayed (auto-oriented) original. */
  x: z.number(),
  y: z.number(),
  width: z.number(),
  height: z.number(),
  score: share,
});
export type FaceBox = z.infer<typeof FaceBox>;
export const FacesResult = z.object({ count: z.int().min(0), boxes: z.array(FaceBox) });
export type FacesResult = z.infer<typeof FacesResult>;

export const BusinessContact = z.object({
  emails: z.array(z.string()),
  /** E.164. */
  phones: z.array(z.string()),
  urls: z.array(z.string()),
});
export type BusinessContact = z.infer<typeof BusinessContact>;
export const TextResult = z.object({
  text_content: z.string(),
  /** The text was longer than the limit and was cut. */
  truncated: z.boolean(),
  /** Mean word confidence 0-100 of the words kept. */
  confidence: z.number().min(0).max(100).nullable(),
  business_contact: BusinessContact,
});
export type TextResult = z.infer<typeof TextResult>;

/** What a remote vision provider said; a field it did not answer stays null, never guessed. */
export const DescribeResult = z.object({
  provider: z.string(),
  model: z.string().nullable(),
  store_image: z.boolean().nullable(),
  store_name: z.string().nullable(),
  image_description: z.string().nullable(),
  labels: z.array(z.string()).nullable(),
  text: z.string().nullable(),
  cache_hit: z.boolean(),
});
export type DescribeResult = z.infer<typeof DescribeResult>;

export const AnalysisError = z.object({ code: z.string(), message: z.string() });
export type AnalysisError = z.infer<typeof AnalysisError>;

export const AnalysisResult = z.object({
  metadata: MetadataResult.optional(),
  colours: ColoursResult.optional(),
  placeholder: PlaceholderResult.optional(),
  phash: PHashResult.optional(),
  quality: QualityResult.optional(),
  faces: FacesResult.optional(),
  text: TextResult.optional(),
  describe: DescribeResult.optional(),
  /** An analysis that failed: its error, and no result; the image's resize is not affected. */
  errors: z.partialRecord(AnalysisKind, AnalysisError).optional(),
  /** Time each analysis took. */
  timings_ms: z.partialRecord(AnalysisKind, z.number().min(0)).optional(),
});
export type AnalysisResult = z.infer<typeof AnalysisResult>;
