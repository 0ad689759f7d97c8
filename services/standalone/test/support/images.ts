// Real image bytes for end-to-end tests, made with sharp.
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** A noisy photo-like image (noise compresses like a photo, unlike flat colour). */
export function photo(
  width: number,
  height: number,
  format: 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif' = 'jpeg',
): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  })
    .toFormat(format)
    .toBuffer();
}

/**
 * A JPEG stored sideways with EXIF orientation 6 ("rotate 90° clockwise to view"): stored 300x200 with a red left
 * half, so upright it is 200x300 with red on top.
 */
export async function sidewaysJpeg(): Promise<Buffer> {
  const red = await sharp({ create: { width: 150, height: 200, channels: 3, background: '#ff0000' } })
    .png()
    .toBuffer();
  return sharp({ create: { width: 300, height: 200, channels: 3, background: '#0000ff' } })
    .composite([{ input: red, left: 0, top: 0 }])
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/**
 * A PNG declaring 20000x20000 RGBA pixels (1.6 GB decoded) whose data is a few KB of zlib-compressed zeros: the
 * shape of an image bomb, made by hand because encoding the real thing takes seconds.
 */
export function pngBomb(width = 20000, height = 20000): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(6, 9); // RGBA
  const rows = deflateSync(Buffer.alloc((width * 4 + 1) * 16));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', rows),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export async function truncatedJpeg(): Promise<Buffer> {
  const full = await photo(800, 600, 'jpeg');
  return full.subarray(0, Math.floor(full.length * 0.4));
}
