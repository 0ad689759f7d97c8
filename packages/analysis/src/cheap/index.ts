// The cheap analyses alone (what the resize worker loads): no model, no OCR engine, no provider client.
export { runCheapAnalyses, type CheapAnalysisOptions } from './cheap-analyses';
export { metadataOf, exifSummary, iccProfileName } from './metadata.analysis';
export { coloursOf } from './colours.analysis';
export { placeholderOf } from './placeholder.analysis';
export { phashOf } from './phash.analysis';
export { hammingDistance, nearDuplicateGroups } from './phash-groups';
export { qualityOf } from './quality.analysis';
