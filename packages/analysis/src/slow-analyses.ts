// The analyses that run on the analyze queue (faces, text, describe), from one read of the original.
import type { AnalysisError, AnalysisResult, SlowAnalysisKind } from '@pixmill/contracts';
import { encodeJpeg, encodePng, readForAnalysis, resizePixels, type ScaledCopy } from '@pixmill/imaging';
import { analysisErrorCode } from './analysis.error';
import { FACES_SIDE, facesIn } from './faces/detect-faces';
import type { FaceEngine } from './faces/face.engine';
import type { ProviderClient } from './providers/provider-client';
import { businessContactIn } from './text/business-contact';
import type { OcrEngine } from './text/ocr.engine';

/** What a provider is sent: enough for labels and signs, far below its upload limits. */
export const PROVIDER_SIDE = 1024;

export type SlowAnalysisDeps = {
  faces?: Pick<FaceEngine, 'detect'>;
  ocr?: Pick<OcrEngine, 'read'>;
  /** Unset when ANALYSIS_PROVIDER is `local`: `describe` then fails with `provider_not_configured`. */
  provider?: ProviderClient;
  limits: {
    maxInputPixels: number;
    /** Per analysis (decode included once). */
    timeoutMs: number;
    maxTextChars: number;
    /** Longest side of the copy OCR reads. */
    ocrMaxSide: number;
  };
  phoneRegion?: string;
};

/**
 * Runs `kinds` on `input`. A bad image throws (ImageError, as for the resize); an analysis that fails records its
 * error in `errors` and the others still run.
 */
export async function runSlowAnalyses(
  input: Buffer,
  contentHash: string,
  kinds: readonly SlowAnalysisKind[],
  d: SlowAnalysisDeps,
): Promise<AnalysisResult> {
  const want = new Set(kinds);
  const copies = await readForAnalysis(input, {
    maxInputPixels: d.limits.maxInputPixels,
    timeoutMs: d.limits.timeoutMs,
    greyMaxSide: want.has('text') ? d.limits.ocrMaxSide : undefined,
    rgbMaxSide: want.has('faces') || want.has('describe') ? Math.max(FACES_SIDE, PROVIDER_SIDE) : undefined,
  });
  const result: AnalysisResult = {};
  const errors: Partial<Record<SlowAnalysisKind, AnalysisError>> = {};
  const timings: Partial<Record<SlowAnalysisKind, number>> = {};
  const step = async (kind: SlowAnalysisKind, work: () => Promise<void>) => {
    if (!want.has(kind)) return;
    const started = performance.now();
    try {
      await work();
    } catch (err) {
      errors[kind] = { code: analysisErrorCode(err), message: (err as Error).message.slice(0, 500) };
    }
    timings[kind] = Math.round(performance.now() - started);
  };

  await step('faces', async () => {
    if (!d.faces)
      throw Object.assign(new Error('face detection is not available in this process'), {
        code: 'analysis_unavailable',
      });
    const copy = copies.rgb!;
    const small =
      Math.max(copy.pixels.width, copy.pixels.height) > FACES_SIDE ? await scaleCopy(copy, FACES_SIDE) : copy;
    result.faces = await facesIn(small, d.faces, d.limits.timeoutMs);
  });
  await step('text', async () => {
    if (!d.ocr)
      throw Object.assign(new Error('OCR is not available in this process'), { code: 'analysis_unavailable' });
    const read = await d.ocr.read(await encodePng(copies.grey!.pixels), {
      timeoutMs: d.limits.timeoutMs,
      maxChars: d.limits.maxTextChars,
    });
    result.text = {
      text_content: read.text,
      truncated: read.truncated,
      confidence: read.confidence,
      business_contact: businessContactIn(read.text, d.phoneRegion),
    };
  });
  await step('describe', async () => {
    if (!d.provider)
      throw Object.assign(new Error('no vision provider is configured (ANALYSIS_PROVIDER is local)'), {
        code: 'provider_not_configured',
      });
    result.describe = await d.provider.describe(await encodeJpeg(copies.rgb!.pixels), contentHash);
  });

  if (Object.keys(errors).length) result.errors = errors;
  result.timings_ms = timings;
  return result;
}

async function scaleCopy(copy: ScaledCopy, side: number): Promise<ScaledCopy> {
  const pixels = await resizePixels(copy.pixels, { width: side, height: side, fit: 'inside' });
  return { ...copy, pixels };
}
