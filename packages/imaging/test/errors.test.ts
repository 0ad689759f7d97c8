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

  it.each(['jpeg', 'png', 'webp', 'gif'] as const)('reports a truncated %s as truncated', async (format) => {
    const whole = await noise(64, 64).toFormat(format).toBuffer();
    for (const cut of [0.6, 0.95]) {
      const err = await expectCode(whole.subarray(0, Math.floor(whole.length * cut)), 'truncated');
      expect(err.message).toMatch(
        new RegExp(`^the ${format.toUpperCase()} data ends early \\(the file is truncated\\)`),
      );
    }
  });

  it('reports JPEG scan data overwritten mid-file as corrupt, though the file ends where it should', async () => {
    const whole = await noise(200, 150).jpeg({ quality: 90 }).toBuffer();
    const damaged = Buffer.from(whole);
    // Stuffed 0xFF bytes libjpeg cannot decode ("Corrupt JPEG data: bad Huffman code", which it calls a warning).
    for (let i = Math.floor(whole.length * 0.3); i < Math.floor(whole.length * 0.6); i++)
      damaged[i] = [0xff, 0xff, 0x00][i % 3]!;
    const err = await expectCode(damaged, 'corrupt');
    expect(err.message).toMatch(/^the JPEG data is corrupt: .*Corrupt JPEG data/);
  });

  it('reports a PNG whose image data is damaged as corrupt', async () => {
    const whole = await noise(200, 150).png().toBuffer();
    const damaged = Buffer.from(whole);
    damaged.fill(0x11, Math.floor(whole.length * 0.3), Math.floor(whole.length * 0.6));
    await expectCode(damaged, 'corrupt');
  });

  it('processes a TIFF whose only fault is a malformed metadata tag (a libtiff warning)', async () => {
    const tiff = await noise(64, 48).tiff().toBuffer();
    // The last entry of the first directory (ReferenceBlackWhite, as sharp writes it) gets type 0, which libtiff
    // warns about and ignores: "Incompatible type for "ReferenceBlackWhite"; tag ignored".
    const ifd = tiff.readUInt32LE(4);
    const entries = tiff.readUInt16LE(ifd);
    const damaged = Buffer.from(tiff);
    damaged.writeUInt16LE(0, ifd + 2 + (entries - 1) * 12 + 2);
    await expect(sharp(damaged, { failOn: 'warning' }).toBuffer()).rejects.toThrow(/tag ignored/);
    const result = await processImage(damaged, parseRecipe([{ name: 'w', width: 32, format: 'jpeg' }]), limits);
    expect(result.outputs[0]).toMatchObject({ format: 'jpeg', width: 32, height: 24 });
  });

  it('still refuses a truncated TIFF', async () => {
    const whole = await noise(64, 48).tiff().toBuffer();
    await expectCode(whole.subarray(0, Math.floor(whole.length * 0.5)), 'corrupt');
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
