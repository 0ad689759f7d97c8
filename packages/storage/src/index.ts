export {
  ObjectNotFoundError,
  InvalidKeyError,
  type ObjectStore,
  type PutOptions,
  type SignedUrlOptions,
} from './object-store';
export { assertSafeKey, assertSafePrefix } from './safe-key';
export { BodyLengthError } from './byte-meter';
export { contentDisposition } from './http-headers';
export { createS3Store, type S3StoreOptions } from './s3.store';
export { createLocalStore, type LocalObjectStore, type LocalStoreOptions, type ResolvedDownload } from './local.store';
export { DownloadSignatureError } from './download-signature';
export { serveLocalDownload, type GoneAnswer } from './local-download';
export { readObject, ObjectTooLargeError } from './read-object';
