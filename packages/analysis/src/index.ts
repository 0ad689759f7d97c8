// @pixmill/analysis: what is in an image. Pixels come from @pixmill/imaging (the only module that touches sharp).
export * from './cheap';
export { runSlowAnalyses, PROVIDER_SIDE, type SlowAnalysisDeps } from './slow-analyses';
export * from './faces';
export { OcrEngine, type OcrResult } from './text/ocr.engine';
export { businessContactIn, contactLine, hasContact } from './text/business-contact';
export { AnalysisTimeoutError, ProviderError, analysisErrorCode } from './analysis.error';
export { providerClient, type ProviderClient, type ProviderClientOptions } from './providers/provider-client';
export { KeyPool } from './providers/key-pool';
export { memoryProviderCache, cacheKey, type ProviderCache } from './providers/provider-cache';
export { googleVisionAdapter, parseAnnotateResponse, GOOGLE_VISION_URL } from './providers/google-vision.adapter';
export {
  openAiVisionAdapter,
  parseChatCompletion,
  OPENAI_URL,
  DESCRIBE_PROMPT,
} from './providers/openai-vision.adapter';
export type { VisionAdapter, ProviderAnswer } from './providers/provider';
