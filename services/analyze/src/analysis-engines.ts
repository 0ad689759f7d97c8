// The models and the provider client one analyze process holds: each started on first use, closed at shutdown.
import {
  FaceEngine,
  GOOGLE_VISION_URL,
  googleVisionAdapter,
  memoryProviderCache,
  OcrEngine,
  OPENAI_URL,
  openAiVisionAdapter,
  providerClient,
  type ProviderClient,
} from '@pixmill/analysis';
import type { Settings } from '@pixmill/config';

export type AnalysisEngines = {
  faces: FaceEngine;
  ocr: OcrEngine;
  provider?: ProviderClient;
  close(): Promise<void>;
};

type ProviderSettings = Pick<
  Settings,
  | 'ANALYSIS_PROVIDER'
  | 'ANALYSIS_PROVIDER_URL'
  | 'ANALYSIS_PROVIDER_KEYS'
  | 'ANALYSIS_PROVIDER_MODEL'
  | 'ANALYSIS_PROVIDER_TIMEOUT_MS'
  | 'ANALYSIS_PROVIDER_RETRIES'
  | 'ANALYSIS_PROVIDER_CONCURRENCY'
  | 'ANALYSIS_PROVIDER_RATE_PER_MINUTE'
  | 'ANALYSIS_PROVIDER_MAX_ANSWER_BYTES'
>;

/** The configured provider, or undefined for `local`. A remote provider without keys is a configuration error. */
export function providerFromSettings(s: ProviderSettings): ProviderClient | undefined {
  if (s.ANALYSIS_PROVIDER === 'local') return undefined;
  if (s.ANALYSIS_PROVIDER_KEYS.length === 0)
    throw new Error(`ANALYSIS_PROVIDER=${s.ANALYSIS_PROVIDER} needs ANALYSIS_PROVIDER_KEYS`);
  const google = s.ANALYSIS_PROVIDER === 'google-vision';
  return providerClient({
    adapter: google ? googleVisionAdapter() : openAiVisionAdapter(s.ANALYSIS_PROVIDER_MODEL),
    baseUrl: s.ANALYSIS_PROVIDER_URL ?? (google ? GOOGLE_VISION_URL : OPENAI_URL),
    keys: s.ANALYSIS_PROVIDER_KEYS,
    timeoutMs: s.ANALYSIS_PROVIDER_TIMEOUT_MS,
    retries: s.ANALYSIS_PROVIDER_RETRIES,
    concurrencyPerKey: s.ANALYSIS_PROVIDER_CONCURRENCY,
    perMinutePerKey: s.ANALYSIS_PROVIDER_RATE_PER_MINUTE,
    maxAnswerBytes: s.ANALYSIS_PROVIDER_MAX_ANSWER_BYTES,
    cache: memoryProviderCache(),
  });
}

export function analysisEngines(s: ProviderSettings): AnalysisEngines {
  const faces = new FaceEngine();
  const ocr = new OcrEngine();
  return {
    faces,
    ocr,
    provider: providerFromSettings(s),
    close: async () => {
      await Promise.all([faces.close(), ocr.close()]);
    },
  };
}
