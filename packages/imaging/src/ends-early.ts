// Whether an image file stops before its format says it ends: told from the file's own structure, not from
// libvips' wording, so a decode failure can be reported as `truncated` (the upload or download was cut short)
// rather than `corrupt`. Only asked after a decode has failed.
import type { ImageFormat } from './image-format';

const JPEG_EOI = Buffer.from([0xff, 0xd9]);
const JPEG_SOS = Buffer.from([0xff, 0xda]);

/** The file without the zero bytes some writers pad it with. */
function withoutPadding(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return b.subarray(0, end);
}

/** ISO-BMFF (AVIF): a top-level box that claims more bytes than the file has. */
function boxesEndEarly(b: Buffer): boolean {
  let at = 0;
  while (at + 8 <= b.length) {
    let size = b.readUInt32BE(at);
    if (size === 1) {
      if (at + 16 > b.length) return true;
      size = Number(b.readBigUInt64BE(at + 8));
    } else if (size === 0) return false; // the last box runs to the end of the file
    if (size < 8) return false; // not a box structure we can judge
    if (at + size > b.length) return true;
    at += size;
  }
  return at < b.length;
}

export function endsEarly(format: ImageFormat, input: Buffer): boolean {
  const b = withoutPadding(input);
  switch (format) {
    case 'jpeg':
      // Cut after its scan began, and missing its end marker (an EXIF thumbnail has one of its own: only the file's
      // last two bytes count). A header followed by junk never starts a scan: corrupt, not truncated.
      return input.includes(JPEG_SOS) && (b.length < 2 || !b.subarray(b.length - 2).equals(JPEG_EOI));
    case 'png':
      return input.includes('IDAT', 0, 'latin1') && input.lastIndexOf('IEND', undefined, 'latin1') === -1;
    case 'gif':
      return b[b.length - 1] !== 0x3b;
    case 'webp':
      return input.length < 12 || input.readUInt32LE(4) + 8 > input.length;
    case 'avif':
      return boxesEndEarly(input);
    case 'tiff':
      // Its directories may sit anywhere in the file: nothing to tell from the end.
      return false;
  }
}
