// Hostile inputs, made here rather than stored: image bombs and broken images, and a lazily generated 1 GB body.
import { Readable } from 'node:stream';
import { crc32, deflateSync } from 'node:zlib';
import { photo } from '../../support/images';

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A PNG whose header declares `width` x `height` RGBA pixels, with a few bytes of image data (never decodable). */
export function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8);
  ihdr.writeUInt8(6, 9);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(64))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export async function truncatedPng(): Promise<Buffer> {
  const full = await photo(640, 480, 'png');
  return full.subarray(0, Math.floor(full.length * 0.6));
}

/**
 * An animated GIF of `frames` frames on a `screen` x `screen` canvas, each frame one pixel: tiny on disk, but
 * `frames` full canvases if a decoder rendered every frame. Written by hand (1x1 LZW frames are a fixed 4 bytes).
 */
export function manyFrameGif(frames: number, screen = 2000): Buffer {
  const head = Buffer.alloc(13);
  head.write('GIF89a', 0, 'ascii');
  head.writeUInt16LE(screen, 6);
  head.writeUInt16LE(screen, 8);
  head.writeUInt8(0x80, 10); // global colour table of 2 entries
  const palette = Buffer.from([0, 0, 0, 255, 255, 255]);
  const loop = Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0'), 0x03, 0x01, 0x00, 0x00, 0x00]);
  const frame = (i: number) => {
    const gce = Buffer.from([0x21, 0xf9, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00]); // 1/100 s
    const desc = Buffer.alloc(10);
    desc.writeUInt8(0x2c, 0);
    desc.writeUInt16LE(i % screen, 1);
    desc.writeUInt16LE(Math.floor(i / screen) % screen, 3);
    desc.writeUInt16LE(1, 5);
    desc.writeUInt16LE(1, 7);
    return Buffer.concat([gce, desc, Buffer.from([0x02, 0x02, 0x44, 0x01, 0x00])]);
  };
  return Buffer.concat([
    head,
    palette,
    loop,
    ...Array.from({ length: frames }, (_, i) => frame(i)),
    Buffer.from([0x3b]),
  ]);
}

/** JPEG magic and a JFIF header, then an HTML page with a script: sniffs as a JPEG, is none. */
export function jpegHeaderPolyglot(): Buffer {
  const app0 = Buffer.from([
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00,
  ]);
  return Buffer.concat([app0, Buffer.from('<html><body><script>alert(document.cookie)</script></body></html>')]);
}

export const SCRIPT_MARK = '<script>alert("pixmill-abuse")</script>';

/** A real JPEG with an HTML page and script appended after its end marker. */
export async function jpegWithScript(): Promise<Buffer> {
  return Buffer.concat([await photo(120, 80, 'jpeg'), Buffer.from(`<html><body>${SCRIPT_MARK}</body></html>`)]);
}

/** An SVG whose image element points at `href` (a renderer that follows it would fetch that URL). */
export function svgReferencing(href: string): Buffer {
  return Buffer.from(
    `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">` +
      `<image href="${href}" xlink:href="${href}" width="64" height="64"/></svg>\n`,
  );
}

/**
 * `total` bytes produced on demand, 1 MiB at a time, starting with JPEG magic so the gateway takes it for an
 * image and has to enforce the size limit (rather than refusing it by its first bytes). `sent()` counts what was read.
 */
export function lazyJpegStream(total: number): { stream: Readable; sent(): number } {
  const block = Buffer.alloc(1024 * 1024, 0x41);
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]).copy(block);
  const filler = Buffer.alloc(1024 * 1024, 0x41);
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const chunk = sent === 0 ? block : filler;
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
  return { stream, sent: () => sent };
}
