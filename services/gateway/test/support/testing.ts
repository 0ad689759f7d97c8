// What other packages' tests use of the gateway (`@pixmill/gateway/testing`): its tenancy walk, export row counting,
// batch creation as the gateway does it, its token claims, the readers of the API's answer shapes, the upload housekeeping and the HTTP metrics.
export * from './tenancy-walk';
export * from './count-export-rows';
export * from './envelope';
export { createUploadBatch } from '../../src/batches/create-batch';
export { JWT_AUDIENCE, JWT_ISSUER } from '../../src/auth/jwt';
export { ABANDONED_AFTER_MS, removeAbandonedUploads } from '../../src/batches/upload-intent';
export { httpMetrics } from '../../src/http/metrics.middleware';
export * from './response-check-env';
