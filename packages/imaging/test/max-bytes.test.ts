import sharp from 'sharp';
import { ImageError, parseRecipe, processImage, type VariantInput } from '../src';
import { noise } from './images';

const limits = { maxInputPixels: 50_000_000, timeoutMs: 30_000 };
const one = async (input: Buffer, variant: VariantInput) =>
  (await processImage(input, parseRecipe([variant]), limits)).outputs[0]!;

describe('max_bytes', () => {
  let noisy: Buffer; // 96x96 of noise: nothing compresses it much
  beforeAll(async () => {
    noisy = await noise(96, 96).png().toBuffer();
  });

  it.each([
    ['jpeg', 6000],
    ['webp', 6000],
    ['avif', 6000],
    ['png', 8000],
  ] as const)('fits %s output of a noisy image under %i bytes', async (format, maxBytes) => {
    const unsqueezed = await one(noisy, { name: 'v', format });
    expect(unsqueezed.bytes).toBeGreaterThan(maxBytes); // so the limit really bites
    const out = await one(noisy, { name: 'v', format, max_bytes: maxBytes });
    expect(out.bytes).toBeLessThanOrEqual(maxBytes);
    expect(out.data.length).toBe(out.bytes);
    const meta = await sharp(out.data).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual([format === 'avif' ? 'heif' : format, 96, 96]);
  });

  it('picks the highest JPEG quality that fits', async () => {
    const maxBytes = 8000;
    const out = await one(noisy, { name: 'v', format: 'jpeg', max_bytes: maxBytes });
    let best = 0;
    for (let q = 1; q <= 80; q++) {
      const size = (await sharp(noisy).jpeg({ quality: q }).toBuffer()).length;
      if (size <= maxBytes) best = size;
    }
    expect(out.bytes).toBe(best);
  });

  it('never raises quality above the asked one', async () => {
    const asked = await one(noisy, { name: 'v', format: 'webp', quality: 30 });
    const out = await one(noisy, { name: 'v', format: 'webp', quality: 30, max_bytes: 10_000_000 });
    expect(out.bytes).toBe(asked.bytes);
  });

  it('keeps the resize and the orientation while squeezing', async () => {
    const out = await one(noisy, { name: 'v', format: 'jpeg', width: 48, height: 24, fit: 'cover', max_bytes: 1500 });
    expect([out.width, out.height]).toEqual([48, 24]);
    expect(out.bytes).toBeLessThanOrEqual(1500);
  });

  it('squeezes with metadata kept too', async () => {
    const tagged = await sharp(noisy)
      .jpeg()
      .withExif({ IFD0: { Artist: 'pixmill-test' } })
      .toBuffer();
    const out = await one(tagged, { name: 'v', strip_metadata: false, max_bytes: 6000 });
    expect(out.bytes).toBeLessThanOrEqual(6000);
    expect((await sharp(out.data).metadata()).exif?.toString('latin1')).toContain('pixmill-test');
  });

  it.each(['jpeg', 'webp', 'avif', 'png'] as const)(
    'fails %s with max_bytes_unreachable when even the lowest setting is too big',
    async (format) => {
      const err = await one(noisy, { name: 'v', format, max_bytes: 100 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageError);
      expect((err as ImageError).code).toBe('max_bytes_unreachable');
      expect((err as ImageError).message).toMatch(
        /cannot fit in 100 bytes: \d+ bytes as asked, \d+ bytes at the lowest setting/,
      );
    },
  );
});
