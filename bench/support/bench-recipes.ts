// The recipes the image benchmark sends, each twice: as the recipe pixmill receives, and as plain sharp code doing the
// same work (same sizes, encoders and encoder settings, one image at a time) — the baseline pixmill is measured
// against. No pixmill import here: the baseline runs in a process of its own with sharp and nothing else.
import sharp, { type Sharp } from 'sharp';

export type BenchRecipeName = 'jpeg_1024' | 'webp_1024' | 'three_variants' | 'default';

type Plain = (input: Buffer) => Promise<{ bytes: number; encodes: number }>;

/** libaom effort pixmill uses (packages/imaging/src/encoding.ts AVIF_EFFORT); sharp's own default is 4. */
const AVIF_EFFORT = 2;
const AVIF_MAX_BYTES = 50_000;

const fitInside = (p: Sharp, size: number) =>
  p.resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true });

const encoded = async (p: Promise<Buffer>) => ({ bytes: (await p).length, encodes: 1 });

/**
 * The highest AVIF quality (at most 80, then 75, 70 ... 5, 1) whose output fits the budget, as a careful sharp user
 * would find it: the asked quality first, then a binary search on that grid, decoding and resizing once into raw
 * pixels for the search (as pixmill does). Not finding any is not an error here: the baseline only has to do the work.
 */
async function avifWithin(input: Buffer, size: number, maxBytes: number) {
  const first = await fitInside(sharp(input).rotate(), size).avif({ quality: 80, effort: AVIF_EFFORT }).toBuffer();
  if (first.length <= maxBytes) return { bytes: first.length, encodes: 1 };
  const { data, info } = await fitInside(sharp(input).rotate(), size).raw().toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const grid = [1, ...Array.from({ length: 15 }, (_, i) => (i + 1) * 5)];
  let lo = 0;
  let hi = grid.length - 1;
  let best = 0;
  let encodes = 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const out = await sharp(data, raw).avif({ quality: grid[mid]!, effort: AVIF_EFFORT }).toBuffer();
    encodes++;
    if (out.length <= maxBytes) {
      best = out.length;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return { bytes: best, encodes };
}

/** pixmill's "keep the size and format, quality 50" for the formats in the photo set (JPEG, PNG, WebP). */
async function reencodeAt50(input: Buffer) {
  const p = sharp(input).rotate();
  const { format } = await sharp(input).metadata();
  switch (format) {
    case 'jpeg':
      return encoded(p.jpeg({ quality: 50 }).toBuffer());
    case 'webp':
      return encoded(p.webp({ quality: 50 }).toBuffer());
    case 'png':
      // A PNG quality means palette quantisation; pixmill's settings (encoding.ts).
      return encoded(p.png({ palette: true, quality: 50, colours: 256, effort: 3, compressionLevel: 9 }).toBuffer());
    default:
      throw new Error(`no plain re-encode for ${format}`);
  }
}

export const BENCH_RECIPES: Record<BenchRecipeName, { recipe: unknown; plain: Plain; what: string }> = {
  jpeg_1024: {
    what: 'one variant: fit inside 1024x1024, JPEG q80, auto-orient',
    recipe: { variants: [{ name: 'web', width: 1024, height: 1024, fit: 'inside', format: 'jpeg', quality: 80 }] },
    plain: (input) => encoded(fitInside(sharp(input).rotate(), 1024).jpeg({ quality: 80 }).toBuffer()),
  },
  webp_1024: {
    what: 'one variant: fit inside 1024x1024, WebP q80, auto-orient',
    recipe: { variants: [{ name: 'web', width: 1024, height: 1024, fit: 'inside', format: 'webp', quality: 80 }] },
    plain: (input) => encoded(fitInside(sharp(input).rotate(), 1024).webp({ quality: 80 }).toBuffer()),
  },
  three_variants: {
    what: `thumb 256x256 cover WebP q80, 1024 inside JPEG q80, 512 inside AVIF q80 with max_bytes ${AVIF_MAX_BYTES}`,
    recipe: {
      variants: [
        { name: 'thumb', width: 256, height: 256, fit: 'cover', format: 'webp', quality: 80 },
        { name: 'web', width: 1024, height: 1024, fit: 'inside', format: 'jpeg', quality: 80 },
        {
          name: 'small',
          width: 512,
          height: 512,
          fit: 'inside',
          format: 'avif',
          quality: 80,
          max_bytes: AVIF_MAX_BYTES,
        },
      ],
    },
    plain: async (input) => {
      const thumb = await sharp(input)
        .rotate()
        .resize({ width: 256, height: 256, fit: 'cover' })
        .webp({ quality: 80 })
        .toBuffer();
      const web = await fitInside(sharp(input).rotate(), 1024).jpeg({ quality: 80 }).toBuffer();
      const small = await avifWithin(input, 512, AVIF_MAX_BYTES);
      return { bytes: thumb.length + web.length + small.bytes, encodes: 2 + small.encodes };
    },
  },
  default: {
    what: "pixmill's default recipe: keep the size and format, re-encode at quality 50",
    recipe: undefined,
    plain: reencodeAt50,
  },
};

export const benchRecipeNames = Object.keys(BENCH_RECIPES) as BenchRecipeName[];
