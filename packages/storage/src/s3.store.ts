// ObjectStore on S3 (AWS, MinIO, s3rver): streamed multipart uploads, presigned downloads, paged prefix deletes.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { assertBufferLength, ByteMeter } from './byte-meter';
import { assertContentType, contentDisposition } from './http-headers';
import { ObjectNotFoundError, type ObjectStore, type PutOptions } from './object-store';
import { assertSafeKey, assertSafePrefix } from './safe-key';
import { assertExpiry } from './expiry';
import { createDirectRequests } from './direct-requests';
import { createGetPresigner } from './presign-get';

export type S3StoreOptions = {
  /** Unset: AWS itself. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Both or neither; neither uses the AWS default credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
  /** Host clients download from when it differs from `endpoint` (e.g. MinIO inside docker); presigned URLs are signed for it. */
  publicEndpoint?: string;
  /** Keys per ListObjectsV2 page in deletePrefix (1..1000, default 1000); small values let tests cover paging cheaply. */
  listPageSize?: number;
};

// 5 MiB is S3's smallest part; two parts in flight bound the memory of one upload to about 10-15 MiB.
const PART_SIZE = 5 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

export function createS3Store(o: S3StoreOptions): ObjectStore {
  const listPageSize = o.listPageSize ?? 1000;
  if (!Number.isInteger(listPageSize) || listPageSize < 1 || listPageSize > 1000) {
    throw new RangeError(`listPageSize must be an integer from 1 to 1000, got ${listPageSize}`);
  }
  const client = makeClient(o, o.endpoint);
  // Presigning is offline; a second client only changes the host the signature is computed for.
  const presigner = o.publicEndpoint ? makeClient(o, o.publicEndpoint) : client;
  const Bucket = o.bucket;
  const presignGet = createGetPresigner(presigner, Bucket);
  const direct = createDirectRequests(client, Bucket);

  /** One PutObject for small bodies, a multipart upload (aborted on failure) for large ones. */
  const upload = async (key: string, body: Readable | Buffer, contentType: string | undefined) => {
    await new Upload({
      client,
      params: { Bucket, Key: key, Body: body, ContentType: contentType },
      partSize: PART_SIZE,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    }).done();
  };

  const putStream = async (key: string, body: Readable, opts: PutOptions): Promise<{ bytes: number }> => {
    try {
      assertSafeKey(key);
      if (opts.contentType !== undefined) assertContentType(opts.contentType);
    } catch (err) {
      body.destroy();
      throw err;
    }
    const meter = new ByteMeter(opts.contentLength);
    // The pipeline destroys body and meter when either fails (a body error, or a length other than the announced
    // one), which fails the upload; an upload that fails first destroys the meter, which ends the pipeline. The put
    // settles only when both have, so an aborted multipart upload is gone by then.
    let first: 'body' | 'upload' | undefined;
    const [piped, stored] = await Promise.allSettled([
      pipeline(body, meter).catch((err: unknown) => {
        first ??= 'body';
        throw err;
      }),
      upload(key, meter, opts.contentType).catch((err: unknown) => {
        first ??= 'upload';
        meter.destroy();
        throw err;
      }),
    ]);
    // The error that started it is the one worth reporting (the other is its echo).
    const failures = first === 'upload' ? [stored, piped] : [piped, stored];
    for (const f of failures) if (f.status === 'rejected') throw f.reason;
    return { bytes: meter.bytes };
  };

  return {
    kind: 's3',

    async put(key, body, opts = {}) {
      // A stream is listened to before anything is awaited, and destroyed whenever the put fails.
      if (!Buffer.isBuffer(body)) return putStream(key, body, opts);
      assertSafeKey(key);
      if (opts.contentType !== undefined) assertContentType(opts.contentType);
      assertBufferLength(body, opts.contentLength);
      // A buffer that fits in one part goes as a plain PutObject: Upload's machinery (part queue, body chunker)
      // costs a worker more CPU per small image than the request itself. Sent directly first (direct-requests.ts).
      if (body.length <= PART_SIZE) {
        const tried = await direct.put(key, body, opts.contentType);
        if (tried === 'stored') return { bytes: body.length };
        await client.send(
          new PutObjectCommand({
            Bucket,
            Key: key,
            Body: body,
            ContentType: opts.contentType,
            ContentLength: body.length,
          }),
        );
        if (tried === 'refused') direct.servedAfterRefusal();
        return { bytes: body.length };
      }
      await upload(key, body, opts.contentType);
      return { bytes: body.length };
    },

    async get(key) {
      assertSafeKey(key);
      const tried = await direct.get(key);
      if (tried instanceof Readable) return tried;
      try {
        const out = await client.send(new GetObjectCommand({ Bucket, Key: key }));
        if (!(out.Body instanceof Readable)) throw new Error('S3 GetObject returned no readable body');
        if (tried === 'refused') direct.servedAfterRefusal();
        return out.Body;
      } catch (err) {
        throw isMissingObject(err) ? new ObjectNotFoundError(key) : err;
      }
    },

    async head(key) {
      assertSafeKey(key);
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        const bytes = out.ContentLength ?? 0;
        return out.ContentType === undefined ? { bytes } : { bytes, contentType: out.ContentType };
      } catch (err) {
        if (isMissingObject(err)) return null;
        throw err;
      }
    },

    async delete(key) {
      assertSafeKey(key);
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },

    async deletePrefix(prefix) {
      assertSafePrefix(prefix);
      let deleted = 0;
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket, Prefix: prefix, MaxKeys: listPageSize, ContinuationToken }),
        );
        const Objects = (page.Contents ?? []).flatMap((c) => (c.Key === undefined ? [] : [{ Key: c.Key }]));
        if (Objects.length > 0) {
          // Quiet: the answer lists only failures. A page is at most 1000 keys, DeleteObjects' own limit.
          const out = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects, Quiet: true } }));
          const failed = out.Errors ?? [];
          const first = failed[0];
          if (first) {
            throw new Error(
              `could not delete ${failed.length} of ${Objects.length} objects under ${prefix} ` +
                `(first: ${first.Key}: ${first.Code} ${first.Message})`,
            );
          }
          deleted += Objects.length;
        }
        // The token names the last key listed, so deleting what was listed does not disturb the next page.
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return deleted;
    },

    async signedDownloadUrl(key, opts) {
      assertSafeKey(key);
      assertExpiry(opts.expiresInSeconds);
      if (opts.contentType !== undefined) assertContentType(opts.contentType);
      return presignGet(key, {
        expiresInSeconds: opts.expiresInSeconds,
        contentDisposition: opts.filename === undefined ? undefined : contentDisposition(opts.filename),
        contentType: opts.contentType,
      });
    },

    async check() {
      await client.send(new HeadBucketCommand({ Bucket }));
    },
  };
}

function makeClient(o: S3StoreOptions, endpoint: string | undefined): S3Client {
  if ((o.accessKeyId === undefined) !== (o.secretAccessKey === undefined)) {
    throw new TypeError('S3 accessKeyId and secretAccessKey must be given together');
  }
  return new S3Client({
    endpoint,
    region: o.region,
    forcePathStyle: o.forcePathStyle,
    credentials:
      o.accessKeyId !== undefined && o.secretAccessKey !== undefined
        ? { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey }
        : undefined,
    // Otherwise streamed bodies go out aws-chunked, which S3-compatible servers (s3rver, older MinIO) store verbatim.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

// GetObject says NoSuchKey; HeadObject has no body, so only its 404 tells. A missing bucket is not a missing object.
function isMissingObject(err: unknown): boolean {
  return err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404 && err.name !== 'NoSuchBucket';
}
