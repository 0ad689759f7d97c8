import sharp from 'sharp';
import { ImageError, defaultRecipe, parseRecipe, processImage, type ImageErrorCode } from '../src';
import { noise, pngBomb } from './images';

const limits = { maxInputPixels: 50_000_000, timeoutMs: 30_000 };

async function failure(input: Buffer, o = limits, recipe = defaultRecipe): Promise<ImageError> {
  const err = await processImage(input, recipe, o).then(
    () => new Error('processImage succeeded'),
    (e: unknown) => e,
  );
  if (err instanceof ImageError) return err;
  throw err;
}

const expectCode = async (input: Buffer, code: ImageErrorCode, o = limits) => {
  const err = await failure(input, o);
  expect(err.code).toBe(code);
  return err;
};

describe('processImage: bad input', () => {
  it('refuses a 20000x20000 PNG bomb from its header', async () => {
    const bomb = pngBomb(20000);
    expect(bomb.length).toBeLessThan(1_000_000);
    expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({ width: 20000, height: 20000 });
    const err = await expectCode(bomb, 'pixel_limit');
    expect(err.message).toContain('20000x20000');
  });

  it('refuses an ordinary image over the configured pixel limit', async () => {
    const png = await noise(300, 300).png().toBuffer();
    await expectCode(png, 'pixel_limit', { ...limits, maxInputPixels: 50_000 });
  });

  it('refuses a variant that would enlarge past the pixel limit', async () => {
    const tiny = await noise(10, 10).png().toBuffer();
    const recipe = parseRecipe([{ name: 'huge', width: 16384, height: 16384, fit: 'fill', enlarge: true }]);
    const err = await failure(tiny, { ...limits, maxInputPixels: 1_000_000 }, recipe);
    expect(err.code).toBe('pixel_limit');
    expect(err.message).toContain('huge');
  });

  it.each(['jpeg', 'png'] as const)('reports a truncated %s as corrupt', async (format) => {
    const whole = await noise(64, 64).toFormat(format).toBuffer();
    await expectCode(whole.subarray(0, Math.floor(whole.length * 0.6)), 'corrupt');
  });

  it('reports a JPEG header followed by junk as corrupt', async () => {
    await expectCode(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]), 'corrupt');
  });

  it('reports a text file and an empty file as not an image', async () => {
    await expectCode(Buffer.from('name,url\nshoe,https://example.com/shoe.jpg\n'), 'not_an_image');
    await expectCode(Buffer.alloc(0), 'not_an_image');
  });

  it('refuses SVG (never rendered: it can reference external URLs)', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">' +
        '<image xlink:href="http://127.0.0.1:1/x.png" width="10" height="10"/></svg>',
    );
    const err = await expectCode(svg, 'unsupported_format');
    expect(err.message).toContain('SVG');
  });

  it('refuses PDF and HEIC as unsupported', async () => {
    await expectCode(Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\n'), 'unsupported_format');
    const heic = Buffer.alloc(64);
    heic.writeUInt32BE(24, 0);
    heic.write('ftypheic\0\0\0\0mif1heic', 4, 'latin1');
    await expectCode(heic, 'unsupported_format');
  });

  it('stops with timeout when the time budget runs out', async () => {
    const png = await noise(256, 256).png().toBuffer();
    const recipe = parseRecipe([{ name: 'slow', format: 'avif', quality: 90 }]);
    const err = await failure(png, { ...limits, timeoutMs: 1 }, recipe);
    expect(err.code).toBe('timeout');
  });
});
