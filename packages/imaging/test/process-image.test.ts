import sharp from 'sharp';
import { defaultRecipe, parseRecipe, processImage, type VariantInput } from '../src';
import { animatedGif, encodeAs, halves, noise, pixel, solid } from './images';

const limits = { maxInputPixels: 50_000_000, timeoutMs: 30_000 };
const run = (input: Buffer, ...variants: VariantInput[]) => processImage(input, parseRecipe(variants), limits);
const only = async (input: Buffer, variant: VariantInput) => {
  const { outputs } = await run(input, variant);
  expect(outputs).toHaveLength(1);
  return outputs[0]!;
};

describe('processImage: sizes', () => {
  let wide: Buffer; // 200x100
  beforeAll(async () => {
    wide = await noise(200, 100).png().toBuffer();
  });

  it.each([
    ['cover', 50, 50],
    ['contain', 50, 50],
    ['fill', 50, 50],
    ['inside', 50, 25],
    ['outside', 100, 50],
  ] as const)('fit %s into a 50x50 box gives %ix%i', async (fit, width, height) => {
    const out = await only(wide, { name: 'v', width: 50, height: 50, fit });
    expect([out.width, out.height]).toEqual([width, height]);
    const meta = await sharp(out.data).metadata();
    expect([meta.width, meta.height]).toEqual([width, height]);
  });

  it('pads contain with transparency where the format has alpha, with white for JPEG, or the asked colour', async () => {
    const png = await only(wide, { name: 'v', width: 50, height: 50, fit: 'contain', format: 'png' });
    expect((await pixel(png.data, 0, 0))[3]).toBe(0);
    const jpeg = await only(wide, { name: 'v', width: 50, height: 50, fit: 'contain', format: 'jpeg' });
    expect((await pixel(jpeg.data, 0, 0)).every((c) => c > 245)).toBe(true);
    const red = await only(wide, {
      name: 'v',
      width: 50,
      height: 50,
      fit: 'contain',
      format: 'png',
      background: '#f00',
    });
    expect((await pixel(red.data, 0, 0)).slice(0, 3)).toEqual([255, 0, 0]);
  });

  it('crops cover with attention and entropy positions to the box', async () => {
    for (const position of ['attention', 'entropy'] as const) {
      const out = await only(wide, { name: 'v', width: 40, height: 40, fit: 'cover', position });
      expect([out.width, out.height]).toEqual([40, 40]);
    }
  });

  it('scales by one dimension keeping the aspect ratio', async () => {
    const out = await only(wide, { name: 'v', height: 20 });
    expect([out.width, out.height]).toEqual([40, 20]);
  });

  it('never enlarges unless asked', async () => {
    const small = await noise(40, 30).png().toBuffer();
    const kept = await only(small, { name: 'v', width: 400 });
    expect([kept.width, kept.height]).toEqual([40, 30]);
    const cover = await only(small, { name: 'v', width: 400, height: 400, fit: 'cover' });
    expect([cover.width, cover.height]).toEqual([40, 30]);
    const enlarged = await only(small, { name: 'v', width: 400, enlarge: true });
    expect([enlarged.width, enlarged.height]).toEqual([400, 300]);
  });

  it('renders every variant of a recipe from one input, in order', async () => {
    const { source, outputs } = await run(
      wide,
      { name: 'small', width: 20, format: 'jpeg' },
      { name: 'square', width: 30, height: 30, fit: 'cover', format: 'webp' },
      { name: 'same' },
    );
    expect(source).toEqual({ format: 'png', width: 200, height: 100, pages: 1 });
    expect(outputs.map((o) => [o.variant, o.format, o.width, o.height])).toEqual([
      ['small', 'jpeg', 20, 10],
      ['square', 'webp', 30, 30],
      ['same', 'png', 200, 100],
    ]);
  });
});

describe('processImage: formats', () => {
  let source: Buffer;
  beforeAll(async () => {
    source = await noise(48, 32).png().toBuffer();
  });

  it.each([
    ['jpeg', 'jpeg', 'image/jpeg', 'jpg'],
    ['png', 'png', 'image/png', 'png'],
    ['webp', 'webp', 'image/webp', 'webp'],
    ['avif', 'heif', 'image/avif', 'avif'],
  ] as const)('writes %s when asked (sharp reads it back as %s)', async (format, decoder, contentType, extension) => {
    const out = await only(source, { name: 'v', format, width: 24 });
    expect(out).toMatchObject({ variant: 'v', format, contentType, extension, width: 24, height: 16 });
    expect(out.bytes).toBe(out.data.length);
    const meta = await sharp(out.data).metadata();
    expect(meta.format).toBe(decoder);
    if (format === 'avif') expect(meta.compression).toBe('av1');
    expect([meta.width, meta.height]).toEqual([24, 16]);
  });

  it.each(['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff'] as const)('"original" keeps %s', async (format) => {
    const input = await encodeAs(noise(16, 12), format);
    const { source: src, outputs } = await run(input, { name: 'v' });
    expect(src.format).toBe(format);
    expect(outputs[0]?.format).toBe(format);
    const meta = await sharp(outputs[0]!.data).metadata();
    expect(meta.format).toBe(format === 'avif' ? 'heif' : format);
  });

  it('flattens transparency onto white when writing JPEG', async () => {
    const clear = await solid(8, 8, { r: 0, g: 0, b: 0, alpha: 0 }, 4).png().toBuffer();
    const out = await only(clear, { name: 'v', format: 'jpeg' });
    expect((await pixel(out.data, 4, 4)).every((c) => c > 245)).toBe(true);
  });

  it('keeps PNG lossless unless a quality is set, then quantises to a palette', async () => {
    const lossless = await only(source, { name: 'v', format: 'png' });
    const { data: a } = await sharp(source).raw().toBuffer({ resolveWithObject: true });
    const { data: b } = await sharp(lossless.data).raw().toBuffer({ resolveWithObject: true });
    expect(b.equals(a)).toBe(true);
    const lossy = await only(source, { name: 'v', format: 'png', quality: 40 });
    expect((await sharp(lossy.data).metadata()).isPalette).toBe(true);
  });

  it('uses only the first frame of an animated GIF', async () => {
    const gif = await animatedGif(1500);
    expect((await sharp(gif).metadata()).pages).toBe(1500);
    const { source: src, outputs } = await run(gif, { name: 'v' }, { name: 'w', format: 'webp' });
    expect(src).toEqual({ format: 'gif', width: 16, height: 16, pages: 1500 });
    for (const out of outputs) {
      const meta = await sharp(out.data).metadata();
      expect([meta.width, meta.height, meta.pages ?? 1]).toEqual([16, 16, 1]);
    }
  });
});

describe('processImage: orientation and metadata', () => {
  const red = { r: 255, g: 0, b: 0 };
  const blue = { r: 0, g: 0, b: 255 };
  let rotated: Buffer; // stored 40x20 (red left, blue right) with EXIF orientation 6 and an Artist tag
  beforeAll(async () => {
    rotated = await halves(40, 20, red, blue)
      .jpeg({ quality: 95 })
      .withExif({ IFD0: { Artist: 'pixmill-test' } })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(rotated).metadata()).orientation).toBe(6);
  });

  const near = (got: number[], want: { r: number; g: number; b: number }) =>
    Math.abs(got[0]! - want.r) + Math.abs(got[1]! - want.g) + Math.abs(got[2]! - want.b) < 60;

  it('turns an EXIF orientation 6 JPEG upright', async () => {
    const { source, outputs } = await run(rotated, { name: 'v', format: 'png' });
    expect([source.width, source.height]).toEqual([20, 40]);
    const out = outputs[0]!;
    expect([out.width, out.height]).toEqual([20, 40]);
    // Turned 90° clockwise: the stored left (red) half is now on top.
    expect(near(await pixel(out.data, 10, 5), red)).toBe(true);
    expect(near(await pixel(out.data, 10, 35), blue)).toBe(true);
  });

  it('leaves the stored orientation when auto_orient is off', async () => {
    const out = await only(rotated, { name: 'v', auto_orient: false });
    expect([out.width, out.height]).toEqual([40, 20]);
  });

  it('strips EXIF and other metadata by default', async () => {
    const meta = await sharp((await only(rotated, { name: 'v' })).data).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.iptc).toBeUndefined();
  });

  it('keeps EXIF when strip_metadata is false, with the orientation reset after turning', async () => {
    const out = await only(rotated, { name: 'v', strip_metadata: false });
    const meta = await sharp(out.data).metadata();
    expect(meta.exif?.toString('latin1')).toContain('pixmill-test');
    expect(meta.orientation ?? 1).toBe(1);
    expect([meta.width, meta.height]).toEqual([20, 40]);
  });
});

describe('processImage: default recipe', () => {
  it('keeps size and format and re-encodes at quality 50', async () => {
    const input = await noise(64, 48).jpeg({ quality: 95 }).toBuffer();
    const { outputs } = await processImage(input, defaultRecipe, limits);
    const out = outputs[0]!;
    expect(out).toMatchObject({ variant: 'default', format: 'jpeg', width: 64, height: 48 });
    const at50 = await sharp(input).jpeg({ quality: 50 }).toBuffer();
    const at80 = await sharp(input).jpeg({ quality: 80 }).toBuffer();
    expect(out.bytes).toBe(at50.length);
    expect(out.bytes).not.toBe(at80.length);
  });

  it('uses quality 80 when a variant sets none', async () => {
    const input = await noise(64, 48).png().toBuffer();
    const out = await only(input, { name: 'v', format: 'webp' });
    expect(out.bytes).toBe((await sharp(input).webp({ quality: 80 }).toBuffer()).length);
  });
});
