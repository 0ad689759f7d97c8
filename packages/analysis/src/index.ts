// @pixmill/analysis: what is in an image. Pixels come from @pixmill/imaging (the only module that touches sharp).
export { runCheapAnalyses, type CheapAnalysisOptions } from './cheap/cheap-analyses';
export { metadataOf, exifSummary, iccProfileName } from './cheap/metadata.analysis';
export { coloursOf } from './cheap/colours.analysis';
export { placeholderOf } from './cheap/placeholder.analysis';
export { phashOf, hammingDistance, nearDuplicateGroups } from './cheap/phash.analysis';
export { qualityOf } from './cheap/quality.analysis';
export { runSlowAnalyses, FACES_SIDE, PROVIDER_SIDE, type SlowAnalysisDeps } from './slow-analyses';
export { FaceEngine, MIN_FACE_SCORE, type DetectedFace } from './faces/face.engine';
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
