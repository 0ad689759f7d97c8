// quality: sharpness (variance of the Laplacian) with a `blurry` flag, and exposure (brightness, clipping).
import type { QualityResult } from '@pixmill/contracts';
import type { AnalysisSample } from '@pixmill/imaging';

/** Luma at or above this (of 255) counts as a clipped highlight, at or below CLIP_LOW as a clipped shadow. */
const CLIP_HIGH = 250;
const CLIP_LOW = 5;

const round = (v: number, places = 4) => Math.round(v * 10 ** places) / 10 ** places;

/**
 * `blurThreshold`: below it an image is flagged blurry (`ANALYSIS_BLUR_THRESHOLD`). The sharpness figure is measured
 * on the sample (at most 512 px a side), so it does not depend on the size of the original.
 */
export function qualityOf(sample: AnalysisSample, blurThreshold: number): QualityResult {
  const { data } = sample.rgba;
  let sum = 0;
  let high = 0;
  let low = 0;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3]! < 128) continue;
    // Rec. 709 luma of the sRGB values, as libvips computes it for greyscale().
    const y = 0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!;
    sum += y;
    if (y >= CLIP_HIGH) high++;
    if (y <= CLIP_LOW) low++;
    n++;
  }
  const sharpness = round(sample.laplacianVariance, 2);
  return {
    sharpness,
    blurry: sharpness < blurThreshold,
    brightness: n ? round(sum / n / 255) : 0,
    clipped_highlights: n ? round(high / n) : 0,
    clipped_shadows: n ? round(low / n) : 0,
  };
}
