// Small-object PUT and GET without the SDK's command machinery. Each S3Client.send builds a command and walks its
// middleware stack (endpoint rules, retry strategy, checksums, user agent, serialisers): about 1 ms of CPU a request
// here, as much as a worker spends resizing a thumbnail, paid three times an image (original in, original out,
// output in). These requests are signed by the SDK's own SigV4 signer with the client's credentials and sent by the
// client's own HTTP handler (its connection pool, TLS and timeouts), at about a third of that.
//
// Only the plain successful case is handled here: on a network error or any answer but 200 the store sends the
// request again through the SDK, which retries, and throws its typed errors (NoSuchKey, AccessDenied). A server that
// refuses these requests but serves the SDK's (an S3-compatible one with its own rules) would pay every request
// twice: after a few such refusals the direct path is switched off for good.
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { lazyEndpointBase } from './endpoint-base';

type SignableRequest = Parameters<SignatureV4['sign']>[0];
type HandledResponse = { response: { statusCode: number; body?: Readable } };

/**
 * Why the SDK must take a request: `refused` is a 400 or 403 answer (the server did not accept the request as
 * signed or formed here), `failed` anything else: a network error, a 5xx, a missing key; `off` after the switch-off.
 */
export type NotDone = 'refused' | 'failed' | 'off';

export type DirectRequests = {
  /** Stores `body` under `key`: 'stored' once S3 answered 200. */
  put(key: string, body: Buffer, contentType: string | undefined): Promise<'stored' | NotDone>;
  /** The object's body once S3 answered 200. */
  get(key: string): Promise<Readable | NotDone>;
  /** The SDK served a request this path saw refused; after REFUSALS_BEFORE_OFF of them the path stays off. */
  servedAfterRefusal(): void;
};

const REFUSALS_BEFORE_OFF = 3;

export function createDirectRequests(client: S3Client, bucket: string): DirectRequests {
  const endpointBase = lazyEndpointBase(client, bucket);
  const config = client.config;
  let signer: SignatureV4 | undefined;
  let refusals = 0;
  const notDone = (status: number): NotDone => (status === 400 || status === 403 ? 'refused' : 'failed');

  const send = async (method: 'GET' | 'PUT', key: string, body?: Buffer, contentType?: string) => {
    const b = await endpointBase();
    // applyChecksum: S3 wants the payload's SHA-256 in x-amz-content-sha256, which also makes it check the body.
    signer ??= new SignatureV4({
      credentials: config.credentials,
      region: b.region,
      service: 's3',
      sha256: config.sha256,
      uriEscapePath: false,
      applyChecksum: true,
    });
    const headers: Record<string, string> = { host: b.host };
    if (body) headers['content-length'] = String(body.length);
    if (contentType !== undefined) headers['content-type'] = contentType;
    const request: SignableRequest = {
      method,
      protocol: b.protocol,
      hostname: b.hostname,
      ...(b.port === undefined ? {} : { port: b.port }),
      path: b.objectPath(key),
      query: {},
      headers,
      body,
    };
    const signed = await signer.sign(request, { signingRegion: b.region });
    const handler = config.requestHandler as { handle(r: SignableRequest): Promise<HandledResponse> };
    return (await handler.handle(signed)).response;
  };

  /** Reads and drops an answer's body, so its connection goes back to the pool. */
  const discard = async (body: Readable | undefined) => {
    if (!body) return;
    await finished(body.resume()).catch(() => undefined);
  };

  const off = () => refusals >= REFUSALS_BEFORE_OFF;

  return {
    async put(key, body, contentType) {
      if (off()) return 'off';
      try {
        const response = await send('PUT', key, body, contentType);
        await discard(response.body);
        return response.statusCode === 200 ? 'stored' : notDone(response.statusCode);
      } catch {
        return 'failed';
      }
    },

    async get(key) {
      if (off()) return 'off';
      try {
        const response = await send('GET', key);
        if (response.statusCode === 200 && response.body) return response.body;
        await discard(response.body);
        return notDone(response.statusCode);
      } catch {
        return 'failed';
      }
    },

    servedAfterRefusal() {
      refusals++;
    },
  };
}
