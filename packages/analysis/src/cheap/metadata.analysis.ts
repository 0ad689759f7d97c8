// metadata: what the file says about itself (header, colour profile, the camera's EXIF summary).
import exifReader from 'exif-reader';
import { parse as parseIcc } from 'icc';
import type { MetadataResult } from '@pixmill/contracts';
import type { ImageHeader } from '@pixmill/imaging';

const MAX_TEXT = 200;

const clean = (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  // EXIF strings are NUL-padded and sometimes full of spaces; control characters never belong in a report.
  // eslint-disable-next-line no-control-regex
  const s = v.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return s ? s.slice(0, MAX_TEXT) : null;
};

/** EXIF times carry no zone: exif-reader reads them as UTC, so the UTC fields are the camera's clock. */
const cameraTime = (v: unknown): string | null =>
  v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString().slice(0, 19) : null;

type ExifSummary = MetadataResult['exif'];
const NO_EXIF: ExifSummary = { camera: null, lens: null, taken_at: null, gps: false };

export function exifSummary(exif: Buffer | null): ExifSummary {
  if (!exif) return NO_EXIF;
  let tags: ReturnType<typeof exifReader>;
  try {
    tags = exifReader(exif);
  } catch {
    // A broken EXIF block says nothing; the image itself may still be fine.
    return NO_EXIF;
  }
  const make = clean(tags.Image?.Make);
  const model = clean(tags.Image?.Model);
  // Many models already start with the make ("Canon EOS 5D"); do not say it twice.
  const camera =
    make && model && !model.toLowerCase().startsWith(make.toLowerCase()) ? `${make} ${model}` : (model ?? make);
  const gps = tags.GPSInfo ?? {};
  return {
    camera: camera ? camera.slice(0, MAX_TEXT) : null,
    lens: clean(tags.Photo?.LensModel) ?? clean(tags.Photo?.LensMake),
    taken_at: cameraTime(tags.Photo?.DateTimeOriginal) ?? cameraTime(tags.Image?.DateTime),
    gps: gps.GPSLatitude !== undefined && gps.GPSLongitude !== undefined,
  };
}

export function iccProfileName(icc: Buffer | null): string | null {
  if (!icc) return null;
  try {
    return clean(parseIcc(icc).description);
  } catch {
    return null;
  }
}

export function metadataOf(header: ImageHeader): MetadataResult {
  return {
    format: header.format,
    width: header.displayWidth,
    height: header.displayHeight,
    orientation: header.orientation >= 1 && header.orientation <= 8 ? header.orientation : 1,
    colour_space: header.space,
    bit_depth: header.bitDepth,
    has_alpha: header.hasAlpha,
    frames: Math.max(1, header.pages),
    icc_profile: iccProfileName(header.icc),
    exif: exifSummary(header.exif),
  };
}
