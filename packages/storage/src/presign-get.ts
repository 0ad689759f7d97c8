// Presigned GET URLs at the cost of the signature alone. The SDK's getSignedUrl builds a command, clones the client's
// middleware stack and resolves the endpoint for every URL (~0.2 ms each), which an export or a results CSV pays once
// per image. Here the SDK resolves the endpoint once (for a probe key); each URL is then that base plus the encoded
// key, signed by the SDK's own S3 presigner. The test holds the URLs to getSignedUrl's, signature included.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl, S3RequestPresigner } from '@aws-sdk/s3-request-presigner';

export type PresignGetOptions = {
  expiresInSeconds: number;
  /** response-content-disposition: what the download is saved as. */
  contentDisposition?: string | undefined;
  /** response-content-type. */
  contentType?: string | undefined;
  /** The signature's time (tests); now by default. */
  signingDate?: Date;
};

const PROBE_KEY = 'pixmill-presign-probe';

/** The SDK's URI escaping (RFC 3986: encodeURIComponent plus !'()*). */
const escape = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

type Base = { protocol: string; hostname: string; port: number | undefined; pathPrefix: string; region: string };

export function createGetPresigner(client: S3Client, bucket: string) {
  let base: Promise<Base> | undefined;
  let presigner: S3RequestPresigner | undefined;

  const resolveBase = async (): Promise<Base> => {
    const probe = new URL(
      await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: PROBE_KEY }), { expiresIn: 60 }),
    );
    const suffix = `/${PROBE_KEY}`;
    if (!probe.pathname.endsWith(suffix)) throw new Error(`unexpected presigned URL shape: ${probe.pathname}`);
    const credential = probe.searchParams.get('X-Amz-Credential') ?? '';
    // <key id>/<date>/<region>/s3/aws4_request: the region the endpoint signs for.
    const region = credential.split('/').at(-3);
    if (!region) throw new Error('presigned URL without a credential scope');
    return {
      protocol: probe.protocol,
      hostname: probe.hostname,
      port: probe.port === '' ? undefined : Number(probe.port),
      pathPrefix: probe.pathname.slice(0, -suffix.length),
      region,
    };
  };

  return async (key: string, o: PresignGetOptions): Promise<string> => {
    const b = await (base ??= resolveBase().catch((err: unknown) => {
      base = undefined;
      throw err;
    }));
    presigner ??= new S3RequestPresigner({ ...client.config, signingName: 's3', region: async () => b.region });
    const query: Record<string, string> = { 'x-id': 'GetObject' };
    if (o.contentDisposition !== undefined) query['response-content-disposition'] = o.contentDisposition;
    if (o.contentType !== undefined) query['response-content-type'] = o.contentType;
    const host = b.port === undefined ? b.hostname : `${b.hostname}:${b.port}`;
    const signed = await presigner.presign(
      {
        method: 'GET',
        protocol: b.protocol,
        hostname: b.hostname,
        ...(b.port === undefined ? {} : { port: b.port }),
        path: `${b.pathPrefix}/${key.split('/').map(escape).join('/')}`,
        query,
        headers: { host },
      },
      {
        expiresIn: o.expiresInSeconds,
        signingRegion: b.region,
        ...(o.signingDate ? { signingDate: o.signingDate } : {}),
      },
    );
    const search = Object.entries(signed.query ?? {})
      .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${escape(k)}=${escape(String(x ?? ''))}`))
      .join('&');
    return `${b.protocol}//${host}${signed.path}?${search}`;
  };
}
