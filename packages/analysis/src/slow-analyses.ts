// The analyses that run on the analyze queue (faces, text, describe), from one read of the original.
import type { AnalysisError, AnalysisResult, SlowAnalysisKind } from '@pixmill/contracts';
import { encodeJpeg, encodePng, readForAnalysis, resizePixels, type ScaledCopy } from '@pixmill/imaging';
import { analysisErrorCode } from './analysis.error';
import type { FaceEngine } from './faces/face.engine';
import type { ProviderClient } from './providers/provider-client';
import { businessContactIn } from './text/business-contact';
import type { OcrEngine } from './text/ocr.engine';

/** Face detection sees a copy at most this large: the SSD model works at 512 x 512 whatever it is given. */
export const FACES_SIDE = 640;
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

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Face boxes in the copy's pixels, mapped back to the displayed original. */
function toOriginal(copy: ScaledCopy, f: { x: number; y: number; width: number; height: number; score: number }) {
  const sx = copy.originalWidth / copy.pixels.width;
  const sy = copy.originalHeight / copy.pixels.height;
  const x = Math.max(0, f.x * sx);
  const y = Math.max(0, f.y * sy);
  return {
    x: round2(x),
    y: round2(y),
    width: round2(Math.min(copy.originalWidth - x, f.width * sx)),
    height: round2(Math.min(copy.originalHeight - y, f.height * sy)),
    score: Math.round(f.score * 1000) / 1000,
  };
}

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
    const found = await d.faces.detect(small.pixels, d.limits.timeoutMs);
    const boxes = found.map((f) => toOriginal(small, f)).sort((a, b) => b.score - a.score);
    result.faces = { count: boxes.length, boxes };
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
