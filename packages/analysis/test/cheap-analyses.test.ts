import sharp from 'sharp';
import { readForAnalysis, processImage, parseRecipe, type AnalysisSample } from '@pixmill/imaging';
import { hammingDistance, nearDuplicateGroups, runCheapAnalyses } from '../src';
import { blurred, landscape, recompressed, sharpPhoto } from './support/test-images';

const LIMITS = { maxInputPixels: 50_000_000, timeoutMs: 30_000 };
const sampleOf = async (img: Buffer): Promise<AnalysisSample> =>
  (await readForAnalysis(img, { ...LIMITS, sample: true })).sample!;
const cheap = ['metadata', 'colours', 'placeholder', 'phash', 'quality'] as const;
const analyse = async (img: Buffer) => runCheapAnalyses(await sampleOf(img), cheap, { blurThreshold: 25 });

describe('cheap analyses on real photographs', () => {
  let photo: Buffer;
  beforeAll(() => {
    photo = sharpPhoto();
  });

  it('flags the blurred copy of a sharp photograph as blurry, and not the photograph', async () => {
    const [sharpResult, blurResult] = await Promise.all([analyse(photo), analyse(await blurred(photo))]);
    expect(sharpResult.quality!.blurry).toBe(false);
    expect(sharpResult.quality!.sharpness).toBeGreaterThan(100);
    expect(blurResult.quality!.blurry).toBe(true);
    expect(blurResult.quality!.sharpness).toBeLessThan(sharpResult.quality!.sharpness / 10);
    expect(sharpResult.errors).toBeUndefined();
  });

  it('puts a recompressed copy in the same near-duplicate group and an unrelated photograph in none', async () => {
    const [a, b, c] = await Promise.all([analyse(photo), analyse(await recompressed(photo)), analyse(landscape())]);
    expect(hammingDistance(a.phash!, b.phash!)).toBeLessThanOrEqual(6);
    expect(hammingDistance(a.phash!, c.phash!)).toBeGreaterThan(16);
    const groups = nearDuplicateGroups(
      [
        { id: 'original', phash: a.phash! },
        { id: 'unrelated', phash: c.phash! },
        { id: 'copy', phash: b.phash! },
      ],
      8,
    );
    expect(groups).toEqual([['original', 'copy']]);
  });

  it('reports the header, EXIF summary and colour profile', async () => {
    const withExif = await sharp(photo)
      .rotate(90) // stored turned, shown upright by the EXIF orientation written below
      .withMetadata({ orientation: 6 })
      .withExif({
        IFD0: { Make: 'Canon', Model: 'Canon EOS 5D Mark IV', DateTime: '2024:05:01 10:11:12' },
        IFD2: { DateTimeOriginal: '2024:05:01 09:08:07', LensModel: 'EF24-70mm f/2.8L II USM' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
      })
      .jpeg()
      .toBuffer();
    const { metadata } = await analyse(withExif);
    expect(metadata).toMatchObject({
      format: 'jpeg',
      orientation: 6,
      colour_space: 'srgb',
      bit_depth: 8,
      has_alpha: false,
      frames: 1,
      exif: {
        camera: 'Canon EOS 5D Mark IV',
        lens: 'EF24-70mm f/2.8L II USM',
        taken_at: '2024-05-01T09:08:07',
        gps: true,
      },
    });
    // Stored 1080 x 1920 (turned), displayed 1920 x 1080.
    expect([metadata!.width, metadata!.height]).toEqual([1920, 1080]);
    const plain = (await analyse(await sharp(photo).jpeg().toBuffer())).metadata!;
    expect(plain.exif).toEqual({ camera: null, lens: null, taken_at: null, gps: false });
    const withProfile = (await analyse(await sharp(photo).withIccProfile('p3').png().toBuffer())).metadata!;
    expect(withProfile.icc_profile).toMatch(/P3/);
    expect(withProfile.format).toBe('png');
  });

  it('finds the dominant colours with their shares, and the average', async () => {
    const half = Buffer.alloc(200 * 100 * 3);
    for (let i = 0; i < 200 * 100; i++) half.set(i % 200 < 150 ? [220, 20, 30] : [20, 40, 200], i * 3);
    const img = await sharp(half, { raw: { width: 200, height: 100, channels: 3 } })
      .png()
      .toBuffer();
    const { colours } = await analyse(img);
    expect(colours!.palette).toHaveLength(2);
    // Scaling the sample to 64 px blends the pixels along the border between the two, hence "close to".
    expect(colours!.palette[0]!.hex).toBe('#dc141e');
    expect(colours!.palette[0]!.share).toBeCloseTo(0.75, 1);
    expect(colours!.palette[1]!.share).toBeCloseTo(0.25, 1);
    expect(colours!.average).toMatch(/^#aa19(48|49)$/);
    const real = (await analyse(photo)).colours!;
    expect(real.palette.length).toBeGreaterThanOrEqual(3);
    expect(real.palette.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 2);
  });

  it('measures exposure: a white image is bright and clipped, a black one dark', async () => {
    const white = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    const black = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000000' } })
      .png()
      .toBuffer();
    const w = (await analyse(white)).quality!;
    const b = (await analyse(black)).quality!;
    expect(w).toMatchObject({ brightness: 1, clipped_highlights: 1, clipped_shadows: 0, blurry: true });
    expect(b).toMatchObject({ brightness: 0, clipped_highlights: 0, clipped_shadows: 1 });
  });

  it('gives a ThumbHash placeholder that decodes to the picture’s proportions', async () => {
    const { placeholder } = await analyse(photo);
    const bytes = Buffer.from(placeholder!.thumbhash, 'base64');
    expect(bytes.length).toBeGreaterThan(15);
    expect(bytes.length).toBeLessThan(40);
    const { thumbHashToApproximateAspectRatio } = await import('thumbhash');
    expect(thumbHashToApproximateAspectRatio(bytes)).toBeCloseTo(1920 / 1080, 0);
  });

  it('gives the same answers from the resize decode as from a read of its own, and the same outputs', async () => {
    // An 800 px JPEG variant carries the sample (its pixels scaled to 512: the original is decoded once).
    const recipe = parseRecipe({ variants: [{ name: 'web', width: 800 }] });
    for (const img of [photo, await blurred(photo)]) {
      const viaResize = await processImage(img, recipe, { ...LIMITS, sample: true });
      const without = await processImage(img, recipe, LIMITS);
      expect(viaResize.outputs[0]!.data.equals(without.outputs[0]!.data)).toBe(true);
      expect(viaResize.sample!.rgba.width).toBe(512);
      const [a, b] = await Promise.all([
        runCheapAnalyses(viaResize.sample!, cheap, { blurThreshold: 25 }),
        analyse(img),
      ]);
      expect(a.metadata).toEqual(b.metadata);
      expect(hammingDistance(a.phash!, b.phash!)).toBeLessThanOrEqual(2);
      expect(a.quality!.blurry).toBe(b.quality!.blurry);
      // Two resamplings (original to 800, 800 to 512) keep a little more edge contrast than one: within 15 %.
      expect(Math.abs(a.quality!.sharpness / b.quality!.sharpness - 1)).toBeLessThan(0.15);
      expect(a.quality!.brightness).toBeCloseTo(b.quality!.brightness, 2);
      expect(a.colours!.average).toBe(b.colours!.average);
    }
  });

  it('handles transparent and tiny images', async () => {
    const clear = await sharp({
      create: { width: 3, height: 2, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const r = await analyse(clear);
    expect(r.errors).toBeUndefined();
    expect(r.colours).toEqual({ average: '#000000', palette: [] });
    expect(r.metadata).toMatchObject({ width: 3, height: 2, has_alpha: true });
    expect(r.phash).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('near-duplicate grouping', () => {
  it('chains neighbours and leaves singletons out', () => {
    const items = [
      { id: 'a', phash: '0000000000000000' },
      { id: 'b', phash: '0000000000000007' }, // 3 bits from a
      { id: 'c', phash: '000000000000007f' }, // 4 bits from b, 7 from a
      { id: 'd', phash: 'ffffffffffffffff' },
      { id: 'e', phash: 'fffffffffffffffe' },
      { id: 'f', phash: '0f0f0f0f0f0f0f0f' },
    ];
    expect(nearDuplicateGroups(items, 4)).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    expect(nearDuplicateGroups(items, 0)).toEqual([]);
    expect(hammingDistance('ffffffffffffffff', '0000000000000000')).toBe(64);
  });

  it('groups 50,000 hashes without comparing every pair', () => {
    // splitmix64: well spread bits (an LCG's low bits repeat and would crowd a few buckets)
    let x = 1n;
    const M = 0xffffffffffffffffn;
    const items = Array.from({ length: 50_000 }, (_, i) => {
      x = (x + 0x9e3779b97f4a7c15n) & M;
      let z = x;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
      z ^= z >> 31n;
      return { id: String(i), phash: z.toString(16).padStart(16, '0') };
    });
    items.push({
      id: 'twin',
      phash: (BigInt('0x' + items[10]!.phash) ^ 0x8000_0100_0010_0003n).toString(16).padStart(16, '0'),
    });
    const groups = nearDuplicateGroups(items, 8);
    expect(groups).toContainEqual(['10', 'twin']);
  });
});
