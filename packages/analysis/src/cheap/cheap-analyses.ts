// The cheap analyses of one image, all from the analysis sample the resize worker takes from its own decode.
import type { AnalysisError, AnalysisResult, CheapAnalysisKind } from '@pixmill/contracts';
import type { AnalysisSample } from '@pixmill/imaging';
import { coloursOf } from './colours.analysis';
import { metadataOf } from './metadata.analysis';
import { phashOf } from './phash.analysis';
import { placeholderOf } from './placeholder.analysis';
import { qualityOf } from './quality.analysis';

export type CheapAnalysisOptions = { blurThreshold: number };

type Part = Partial<Pick<AnalysisResult, CheapAnalysisKind>>;

const run: { [K in CheapAnalysisKind]: (s: AnalysisSample, o: CheapAnalysisOptions) => Promise<Part> | Part } = {
  metadata: (s) => ({ metadata: metadataOf(s.header) }),
  colours: async (s) => ({ colours: await coloursOf(s.rgba) }),
  placeholder: async (s) => ({ placeholder: await placeholderOf(s.rgba) }),
  phash: async (s) => ({ phash: await phashOf(s.rgba) }),
  quality: (s, o) => ({ quality: qualityOf(s, o.blurThreshold) }),
};

/** Errors are the analysis's own, never the image's: one that fails is recorded and the others still run. */
export async function runCheapAnalyses(
  sample: AnalysisSample,
  kinds: readonly CheapAnalysisKind[],
  o: CheapAnalysisOptions,
): Promise<AnalysisResult> {
  const result: AnalysisResult = {};
  const errors: Partial<Record<CheapAnalysisKind, AnalysisError>> = {};
  const timings: Partial<Record<CheapAnalysisKind, number>> = {};
  for (const kind of kinds) {
    const started = performance.now();
    try {
      Object.assign(result, await run[kind](sample, o));
    } catch (err) {
      errors[kind] = { code: 'analysis_failed', message: (err as Error).message.slice(0, 500) };
    }
    timings[kind] = Math.round((performance.now() - started) * 100) / 100;
  }
  if (Object.keys(errors).length) result.errors = errors;
  result.timings_ms = timings;
  return result;
}
