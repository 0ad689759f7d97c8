// Both backends accept the same lifetimes; a week is S3's own ceiling for presigned URLs.
const MAX_EXPIRY_SECONDS = 7 * 24 * 3600;

export function assertExpiry(expiresInSeconds: number): void {
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_EXPIRY_SECONDS) {
    throw new RangeError(
      `expiresInSeconds must be an integer from 1 to ${MAX_EXPIRY_SECONDS}, got ${expiresInSeconds}`,
    );
  }
}
