// What a file is, judged by its first bytes (never by its name or the Content-Type a stranger sent).

/** The formats pixmill decodes and writes. AVIF is the AV1 flavour of HEIF only. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif' | 'tiff';

export const imageFormats: readonly ImageFormat[] = ['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff'];

const contentTypes: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
  tiff: 'image/tiff',
};

const extensions: Record<ImageFormat, string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
  gif: 'gif',
  tiff: 'tiff',
};

export const contentTypeOf = (f: ImageFormat): string => contentTypes[f];
/** File extension without the dot, e.g. `jpg`, for storage keys like `<variant>.<ext>`. */
export const extensionOf = (f: ImageFormat): string => extensions[f];

/** Magic bytes only look at this much of the file. */
export const SNIFF_BYTES = 32;

const startsWith = (head: Uint8Array, bytes: readonly number[], at = 0): boolean =>
  head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Brands of an ISO-BMFF `ftyp` box (major, then compatible), as far as `head` reaches; null if none. */
function ftypBrands(head: Uint8Array): string[] | null {
  if (!startsWith(head, ascii('ftyp'), 4)) return null;
  const boxSize = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  const end = Math.min(boxSize, head.length);
  const brands: string[] = [];
  for (let at = 8; at + 4 <= end; at += 4) {
    if (at === 12) continue; // minor_version, not a brand
    brands.push(String.fromCharCode(head[at]!, head[at + 1]!, head[at + 2]!, head[at + 3]!));
  }
  return brands;
}

/** The image format of a file from its first bytes (only the first 32 are read), or null if it is none we accept. */
export function sniffImageType(head: Uint8Array): ImageFormat | null {
  const h = head.subarray(0, SNIFF_BYTES);
  if (startsWith(h, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(h, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(h, ascii('GIF87a')) || startsWith(h, ascii('GIF89a'))) return 'gif';
  if (startsWith(h, ascii('RIFF')) && startsWith(h, ascii('WEBP'), 8)) return 'webp';
  // Classic TIFF (42) and BigTIFF (43), either byte order.
  if (startsWith(h, [0x49, 0x49, 0x2a, 0x00]) || startsWith(h, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(h, [0x49, 0x49, 0x2b, 0x00]) || startsWith(h, [0x4d, 0x4d, 0x00, 0x2b])) return 'tiff';
  const brands = ftypBrands(h);
  if (brands && (brands.includes('avif') || brands.includes('avis'))) return 'avif';
  return null;
}

const heicBrands = ['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs', 'mif1', 'msf1'];

/**
 * Names a file that is an image (or a document) we recognise but refuse, so the error can say so instead of
 * "not an image". SVG is refused on purpose: rendering it may fetch external URLs. Looks at up to 1 KiB.
 */
export function sniffUnsupportedType(head: Uint8Array): string | null {
  if (sniffImageType(head)) return null;
  const h = head.subarray(0, 1024);
  const brands = ftypBrands(h);
  if (brands && brands.some((b) => heicBrands.includes(b))) return 'HEIC/HEIF (only AVIF is supported)';
  if (startsWith(h, ascii('%PDF-'))) return 'PDF';
  if (startsWith(h, ascii('%!PS'))) return 'PostScript';
  if (startsWith(h, ascii('8BPS'))) return 'Photoshop PSD';
  if (startsWith(h, [0xff, 0x0a]) || startsWith(h, [0, 0, 0, 0x0c, ...ascii('JXL '), 0x0d, 0x0a, 0x87, 0x0a])) {
    return 'JPEG XL';
  }
  if (startsWith(h, [0, 0, 0, 0x0c, ...ascii('jP  '), 0x0d, 0x0a, 0x87, 0x0a])) return 'JPEG 2000';
  if (startsWith(h, [0x76, 0x2f, 0x31, 0x01])) return 'OpenEXR';
  if (startsWith(h, ascii('#?RADIANCE')) || startsWith(h, ascii('#?RGBE'))) return 'Radiance HDR';
  // BMP: "BM", then a 4-byte size and 4 reserved zero bytes.
  if (startsWith(h, ascii('BM')) && startsWith(h, [0, 0, 0, 0], 6)) return 'BMP';
  const text = new TextDecoder('utf-8', { fatal: false }).decode(h).replace(/^\uFEFF/, '');
  if (/^\s*</.test(text) && /<svg[\s>]/i.test(text)) return 'SVG';
  return null;
}
