// Decoding for the analyses that do not ride on a resize (the analyze service): one header read, then each copy.
import {
  sampleFrom,
  scaledFrom,
  headerOf,
  type AnalysisSample,
  type ImageHeader,
  type ScaledCopy,
} from './analysis-pixels';
import { toImageError } from './image.error';
import { openImage, type ProcessImageOptions } from './process-image';

export type AnalysisCopies = {
  header: ImageHeader;
  sample?: AnalysisSample;
  /** Luma, for OCR. */
  grey?: ScaledCopy;
  /** sRGB without alpha, for face detection. */
  rgb?: ScaledCopy;
};

/** Reads `input` once and makes the copies asked for; bad images throw an ImageError, as `processImage` does. */
export async function readForAnalysis(
  input: Buffer,
  o: Pick<ProcessImageOptions, 'maxInputPixels' | 'timeoutMs'> & {
    sample?: boolean;
    greyMaxSide?: number;
    rgbMaxSide?: number;
  },
): Promise<AnalysisCopies> {
  const { format, base, meta, deadline } = await openImage(input, o);
  try {
    const header = headerOf(meta, format);
    const out: AnalysisCopies = { header };
    if (o.sample) out.sample = await sampleFrom(base, header, deadline);
    if (o.greyMaxSide) out.grey = await scaledFrom(base, header, { maxSide: o.greyMaxSide, greyscale: true, deadline });
    if (o.rgbMaxSide) out.rgb = await scaledFrom(base, header, { maxSide: o.rgbMaxSide, deadline });
    return out;
  } catch (err) {
    throw toImageError(err, { format, data: input });
  }
}
