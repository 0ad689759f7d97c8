import {
  contentTypeOf,
  extensionOf,
  imageFormats,
  sniffImageType,
  sniffUnsupportedType,
  type ImageFormat,
} from '../src';
import { encodeAs, noise } from './images';

/** An ISO-BMFF file start: ftyp box with a major brand, minor version 0 and compatible brands. */
function ftyp(major: string, ...compatible: string[]): Buffer {
  const size = 16 + 4 * compatible.length;
  const box = Buffer.alloc(size);
  box.writeUInt32BE(size, 0);
  box.write('ftyp', 4, 'latin1');
  box.write(major, 8, 'latin1');
  compatible.forEach((b, i) => box.write(b, 16 + 4 * i, 'latin1'));
  return Buffer.concat([box, Buffer.alloc(16)]);
}

describe('sniffImageType', () => {
  const img = noise(8, 8);

  it.each(imageFormats)('recognises %s written by sharp', async (format) => {
    const bytes = await encodeAs(img, format);
    expect(sniffImageType(bytes)).toBe(format);
    expect(sniffImageType(bytes.subarray(0, 32))).toBe(format);
  });

  it('recognises AVIF by a compatible brand when the major brand is mif1, and animated AVIF (avis)', () => {
    expect(sniffImageType(ftyp('mif1', 'mif1', 'avif', 'miaf'))).toBe('avif');
    expect(sniffImageType(ftyp('avis', 'avis', 'msf1'))).toBe('avif');
  });

  it('refuses HEIC, SVG, PDF, text, junk and too-short input', () => {
    expect(sniffImageType(ftyp('heic', 'mif1', 'heic'))).toBeNull();
    expect(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffImageType(Buffer.from('%PDF-1.7\n'))).toBeNull();
    expect(sniffImageType(Buffer.from('name,url\nx,https://example.com/a.jpg\n'))).toBeNull();
    expect(sniffImageType(Buffer.from([0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef]))).toBeNull();
    expect(sniffImageType(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(sniffImageType(new Uint8Array(0))).toBeNull();
  });

  it('judges by the first 32 bytes only', () => {
    const late = Buffer.concat([Buffer.alloc(32), Buffer.from([0xff, 0xd8, 0xff, 0xe0])]);
    expect(sniffImageType(late)).toBeNull();
  });
});

describe('sniffUnsupportedType', () => {
  it('names formats that are images or documents but not accepted', () => {
    expect(sniffUnsupportedType(ftyp('heic', 'mif1', 'heic'))).toMatch(/HEIC/);
    expect(sniffUnsupportedType(Buffer.from('%PDF-1.7\n'))).toBe('PDF');
    const svg = '\uFEFF<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>';
    expect(sniffUnsupportedType(Buffer.from(svg))).toBe('SVG');
  });

  it('says nothing for plain text or an accepted image', async () => {
    expect(sniffUnsupportedType(Buffer.from('just some text about svg files'))).toBeNull();
    expect(sniffUnsupportedType(await encodeAs(noise(4, 4), 'png'))).toBeNull();
  });
});

describe('contentTypeOf / extensionOf', () => {
  it.each<[ImageFormat, string, string]>([
    ['jpeg', 'image/jpeg', 'jpg'],
    ['png', 'image/png', 'png'],
    ['webp', 'image/webp', 'webp'],
    ['avif', 'image/avif', 'avif'],
    ['gif', 'image/gif', 'gif'],
    ['tiff', 'image/tiff', 'tiff'],
  ])('%s is served as %s with .%s', (format, type, ext) => {
    expect(contentTypeOf(format)).toBe(type);
    expect(extensionOf(format)).toBe(ext);
  });
});
