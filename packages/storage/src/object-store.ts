// The one storage interface every service depends on; S3 and local disk implement it.
import type { Readable } from 'node:stream';

export type PutOptions = {
  contentType?: string;
  /** When given, a body of any other length is refused and nothing is stored (guards against truncated uploads). */
  contentLength?: number;
};

export type SignedUrlOptions = {
  expiresInSeconds: number;
  /** Download name offered to the browser (Content-Disposition: attachment). */
  filename?: string;
  /** Content-Type of the download, overriding the stored one. */
  contentType?: string;
};

export interface ObjectStore {
  readonly kind: 's3' | 'local';
  /**
   * Stores `body` under `key`; visible only once the put resolves. A stream body belongs to the store from the call
   * on: its errors are listened to at once (a caller may destroy it with an error before the store is ready for it),
   * it is destroyed whenever the put fails, and a put whose body fails at any point stores nothing, leaves nothing
   * behind and rejects with the body's error.
   */
  put(key: string, body: Readable | Buffer, opts?: PutOptions): Promise<{ bytes: number }>;
  /** Rejects with ObjectNotFoundError when the key does not exist. */
  get(key: string): Promise<Readable>;
  head(key: string): Promise<{ bytes: number; contentType?: string } | null>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Deletes every object under `prefix` (which must end with '/') and returns how many went. */
  deletePrefix(prefix: string): Promise<number>;
  signedDownloadUrl(key: string, opts: SignedUrlOptions): Promise<string>;
  /** Health probe: resolves when the store is reachable and usable, throws otherwise. */
  check(): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
  }
}

export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError';
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    // The key may be hostile: show a bounded, escaped form of it.
    super(`invalid storage key ${JSON.stringify(key.slice(0, 100))}: ${reason}`);
  }
}
