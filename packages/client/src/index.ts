// @pixmill/client: a typed SDK for the pixmill API (types generated from its OpenAPI document) and the helpers
// clients write: login, submitting batches, following them to their end, paged lists, retries and idempotency.
export {
  createPixmillClient,
  login,
  unwrap,
  type ClientOptions,
  type DataOf,
  type PixmillClient,
  type paths,
} from './client';
export {
  createCsvBatch,
  createImageBatch,
  createUrlBatch,
  paged,
  waitForBatch,
  FINAL_STATUSES,
  type Batch,
  type BatchOptions,
  type BatchProgress,
  type CreatedBatch,
  type WaitOptions,
} from './batches';
export { PixmillError } from './errors';
export { retryingFetch, retryAfterMs, type RetryOptions } from './retry-fetch';
