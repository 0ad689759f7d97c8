// A preflight's sample of URLs, fetched the way the ingest worker will fetch them: through the safe fetcher, with the
// same allow list, timeouts, redirect limit and size cap, so "reachable" here means reachable there.
import type { Settings } from '@pixmill/config';
import { SNIFF_BYTES, sniffImageType, sniffUnsupportedType } from '@pixmill/imaging';
import { createSafeFetcher, FetchError, type Lookup } from '@pixmill/safe-fetch';
import { z } from 'zod';
import type { SampledUrl } from './url-screening';

/** Sample URLs downloaded at once. */
const PROBES_IN_FLIGHT = 4;

const Probed = z.object({
  row: z.number().int(),
  url: z.string(),
  ok: z.boolean().describe('Fetched, and its bytes are an image of a supported format'),
  format: z.string().nullable().describe('The image format its bytes show (the content type is not trusted)'),
  status: z.number().int().nullable().describe('HTTP status of the last hop'),
  content_type: z.string().nullable(),
  bytes: z.number().int().nullable(),
  code: z.string().nullable().describe('Why it failed: a fetch error code (timeout, http_error...) or not_an_image'),
  error: z.string().nullable(),
  ms: z.number().int(),
});

export const ProbeResult = z.object({
  requested: z.number().int(),
  checked: z.number().int(),
  ok: z.number().int(),
  items: z.array(Probed),
});
export type ProbeResult = z.infer<typeof ProbeResult>;

export async function probeUrls(
  settings: Pick<
    Settings,
    'FETCH_ALLOW_HOSTS' | 'FETCH_CONNECT_TIMEOUT_MS' | 'FETCH_TIMEOUT_MS' | 'FETCH_MAX_REDIRECTS' | 'MAX_FILE_BYTES'
  >,
  requested: number,
  sample: SampledUrl[],
  lookup?: Lookup,
): Promise<ProbeResult> {
  const fetcher = createSafeFetcher({
    allowHosts: settings.FETCH_ALLOW_HOSTS,
    connectTimeoutMs: settings.FETCH_CONNECT_TIMEOUT_MS,
    timeoutMs: settings.FETCH_TIMEOUT_MS,
    maxBytes: settings.MAX_FILE_BYTES,
    maxRedirects: settings.FETCH_MAX_REDIRECTS,
    userAgent: 'pixmill-preflight/0.1',
    ...(lookup ? { lookup } : {}),
  });
  const items: z.infer<typeof Probed>[] = new Array(sample.length);
  let next = 0;
  const worker = async () => {
    while (next < sample.length) {
      const i = next++;
      const { row, url } = sample[i]!;
      const started = Date.now();
      try {
        const r = await fetcher.get(url, { accept: 'image/*' });
        const format = sniffImageType(r.body.subarray(0, SNIFF_BYTES));
        const other = format ? null : (sniffUnsupportedType(r.body.subarray(0, 1024)) ?? 'not an image');
        items[i] = {
          row,
          url,
          ok: format !== null,
          format,
          status: r.status,
          content_type: r.contentType ?? null,
          bytes: r.body.length,
          code: format ? null : 'not_an_image',
          error: other && `the answer is ${other} (content type ${r.contentType ?? 'none'})`,
          ms: Date.now() - started,
        };
      } catch (err) {
        if (!(err instanceof FetchError)) throw err;
        items[i] = {
          row,
          url,
          ok: false,
          format: null,
          status: err.status ?? null,
          content_type: null,
          bytes: null,
          code: err.code,
          error: err.message,
          ms: Date.now() - started,
        };
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PROBES_IN_FLIGHT, sample.length) }, worker));
  } finally {
    await fetcher.close();
  }
  return { requested, checked: items.length, ok: items.filter((p) => p.ok).length, items };
}
