// Where a bucket's objects live, as the SDK's endpoint rules resolve it (path-style or virtual-hosted, custom endpoint
// or AWS's regional one), worked out once per store from one presigned probe URL instead of once per request.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export type EndpointBase = {
  protocol: string;
  hostname: string;
  port: number | undefined;
  /** `hostname[:port]`, as the host header and the signature carry it. */
  host: string;
  /** The region requests are signed for. */
  region: string;
  /** The request path of an object (the bucket's prefix in path style, then the key's escaped segments). */
  objectPath(key: string): string;
};

const PROBE_KEY = 'pixmill-presign-probe';

/** The SDK's URI escaping (RFC 3986: encodeURIComponent plus !'()*). */
export const escapeUri = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

async function resolveEndpointBase(client: S3Client, bucket: string): Promise<EndpointBase> {
  // Presigning is offline: this sends nothing.
  const probe = new URL(
    await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: PROBE_KEY }), { expiresIn: 60 }),
  );
  const suffix = `/${PROBE_KEY}`;
  if (!probe.pathname.endsWith(suffix)) throw new Error(`unexpected presigned URL shape: ${probe.pathname}`);
  const credential = probe.searchParams.get('X-Amz-Credential') ?? '';
  // <key id>/<date>/<region>/s3/aws4_request: the region the endpoint signs for.
  const region = credential.split('/').at(-3);
  if (!region) throw new Error('presigned URL without a credential scope');
  const pathPrefix = probe.pathname.slice(0, -suffix.length);
  return {
    protocol: probe.protocol,
    hostname: probe.hostname,
    port: probe.port === '' ? undefined : Number(probe.port),
    host: probe.host,
    region,
    objectPath: (key) => `${pathPrefix}/${key.split('/').map(escapeUri).join('/')}`,
  };
}

/** The bucket's endpoint base, resolved on first use and kept; a failed resolution is tried again next time. */
export function lazyEndpointBase(client: S3Client, bucket: string): () => Promise<EndpointBase> {
  let base: Promise<EndpointBase> | undefined;
  return () =>
    (base ??= resolveEndpointBase(client, bucket).catch((err: unknown) => {
      base = undefined;
      throw err;
    }));
}
