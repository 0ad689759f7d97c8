// Real image bytes for the tests, made with sharp (or by hand where sharp must not be the author).
import { crc32, deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';

type Rgb = { r: number; g: number; b: number };

/** Deterministic pseudo-random bytes (noise does not compress, which max_bytes tests need). */
function noiseBytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const noise = (width: number, height: number, channels: 3 | 4 = 3): Sharp =>
  sharp(noiseBytes(width * height * channels), { raw: { width, height, channels } });

export const solid = (width: number, height: number, background: Rgb & { alpha?: number }, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background } });

/** Left half `left`, right half `right`: shows which way an image was turned. */
export function halves(width: number, height: number, left: Rgb, right: Rgb): Sharp {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = x < width / 2 ? left : right;
      raw.set([c.r, c.g, c.b], (y * width + x) * 3);
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

/** Encodes `img` in each of the six accepted formats (AVIF at low effort: it is slow). */
export async function encodeAs(img: Sharp, format: 'jpeg' | 'png' | 'webp' | 'avif' | 'gif' | 'tiff'): Promise<Buffer> {
  const p = img.clone();
  switch (format) {
    case 'avif':
      return p.avif({ effort: 0 }).toBuffer();
    case 'tiff':
      return p.tiff({ compression: 'lzw' }).toBuffer();
    default:
      return p.toFormat(format).toBuffer();
  }
}

/** RGB(A) of one pixel of an encoded image. */
export async function pixel(data: Buffer, x: number, y: number): Promise<number[]> {
  const { data: raw, info } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...raw.subarray(at, at + info.channels)];
}

function pngChunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/**
 * A valid decompression bomb: a 1-bit greyscale PNG declaring `size` x `size` (400 Mpx at 20000), all zeros, so
 * it is a few hundred KB on disk. Made by hand because sharp itself refuses to write something this big cheaply.
 */
export function pngBomb(size = 20000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter, no interlace
  const row = Math.ceil(size / 8) + 1; // filter byte + packed bits
  const idat = deflateSync(Buffer.alloc(row * size), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An animated GIF of `frames` distinct 16x16 frames. */
export async function animatedGif(frames: number): Promise<Buffer> {
  const side = 16;
  const raw = Buffer.alloc(side * side * 3 * frames);
  for (let f = 0; f < frames; f++) {
    const start = f * side * side * 3;
    raw.fill(f % 200, start, start + side * side * 3);
    raw.fill(255, start + Math.floor(f / 200) * 3, start + Math.floor(f / 200) * 3 + 3); // keeps frames distinct
  }
  return sharp(raw, { raw: { width: side, height: side * frames, channels: 3, pageHeight: side } })
    .gif({ effort: 1, keepDuplicateFrames: true })
    .toBuffer();
}
