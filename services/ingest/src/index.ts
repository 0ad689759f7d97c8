export * from './worker';
export { makeIngestChunkHandler, WorkerStoppingError, type IngestDeps } from './handlers/ingest-chunk.handler';
export { readChunkManifest } from './chunk-manifest';
export {
  DEFAULT_FETCH_RETRY,
  fetchOriginal,
  fetchErrorCode,
  type FetchOutcome,
  type RetryPolicy,
} from './fetch-original';
