/** Where a variant of an image is stored: one fixed key per (batch, image, variant), so retries overwrite, never add. */
export const outputKey = (batchId: string, imageId: string, variant: string, extension: string): string =>
  `outputs/${batchId}/${imageId}/${variant}.${extension}`;
