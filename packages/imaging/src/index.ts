// @pixmill/imaging: recipes and the sharp pipeline. The only module in pixmill that imports sharp.
export { Variant, Recipe, defaultRecipe, parseRecipe, RecipeError, MAX_DIMENSION, MAX_VARIANTS } from './recipe.schema';
export type { VariantInput } from './recipe.schema';
export {
  sniffImageType,
  sniffUnsupportedType,
  contentTypeOf,
  extensionOf,
  imageFormats,
  SNIFF_BYTES,
  type ImageFormat,
} from './image-format';
export { ImageError, type ImageErrorCode } from './image.error';
export { processImage, type VariantOutput, type ProcessImageOptions, type ProcessImageResult } from './process-image';
export {
  SAMPLE_SIDE,
  laplacianVariance,
  resizePixels,
  encodePng,
  encodeJpeg,
  type RawPixels,
  type ImageHeader,
  type AnalysisSample,
  type ScaledCopy,
} from './analysis-pixels';
export { readForAnalysis, type AnalysisCopies } from './read-for-analysis';
export { facesCrop, type FaceRegion, type FacesCrop } from './faces-crop';
