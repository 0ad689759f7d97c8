// Presigned GET URLs at the cost of the signature alone. The SDK's getSignedUrl builds a command, clones the client's
// middleware stack and resolves the endpoint for every URL (~0.2 ms each), which an export or a results CSV pays once
// per image. Here the SDK resolves the endpoint once (for a probe key); each URL is then that base plus the encoded
// key, signed by the SDK's own S3 presigner. The test holds the URLs to getSignedUrl's, signature included.
import type { S3Client } from '@aws-sdk/client-s3';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { escapeUri, lazyEndpointBase } from './endpoint-base';

export type PresignGetOptions = {
  expiresInSeconds: number;
  /** response-content-disposition: what the download is saved as. */
  contentDisposition?: string | undefined;
  /** response-content-type. */
  contentType?: string | undefined;
  /** The signature's time (tests); now by default. */
  signingDate?: Date;
};

export function createGetPresigner(client: S3Client, bucket: string) {
  const endpointBase = lazyEndpointBase(client, bucket);
  let presigner: S3RequestPresigner | undefined;

  return async (key: string, o: PresignGetOptions): Promise<string> => {
    const b = await endpointBase();
    presigner ??= new S3RequestPresigner({ ...client.config, signingName: 's3', region: async () => b.region });
    const query: Record<string, string> = { 'x-id': 'GetObject' };
    if (o.contentDisposition !== undefined) query['response-content-disposition'] = o.contentDisposition;
    if (o.contentType !== undefined) query['response-content-type'] = o.contentType;
    const signed = await presigner.presign(
      {
        method: 'GET',
        protocol: b.protocol,
        hostname: b.hostname,
        ...(b.port === undefined ? {} : { port: b.port }),
        path: b.objectPath(key),
        query,
        headers: { host: b.host },
      },
      {
        expiresIn: o.expiresInSeconds,
        signingRegion: b.region,
        ...(o.signingDate ? { signingDate: o.signingDate } : {}),
      },
    );
    const search = Object.entries(signed.query ?? {})
      .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${escapeUri(k)}=${escapeUri(String(x ?? ''))}`))
      .join('&');
    return `${b.protocol}//${b.host}${signed.path}?${search}`;
  };
}
