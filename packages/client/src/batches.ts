// The helpers every client writes: submit a batch (files, a CSV or URLs), follow it to its end (Server-Sent Events,
// polling at the pace X-Polling-Interval asks when the stream is not available), and walk paged lists.
import { unwrap, type DataOf, type PixmillClient, type paths } from './client';
import { errorOf } from './errors';
import { multipartStream, type Part } from './multipart-stream';
import { retryAfterMs } from './retry-fetch';

/** A batch as `GET /api/v1/batches/{id}` shows it. */
export type Batch = DataOf<paths['/api/v1/batches/{id}']['get']['responses'][200]['content']['application/json']>;
/** What following a batch reports (the fields of the progress events and of the batch itself). */
export type BatchProgress = Pick<
  Batch,
  'batch_id' | 'status' | 'total_images' | 'processed_images' | 'successful_count' | 'failed_count' | 'progress'
>;
export type CreatedBatch = { batch_id: string; status: string; total_images: number };

export type BatchOptions = {
  name?: string;
  /** A recipe: `{ variants: [{ name, width, height, fit, format, quality, max_bytes }] }`. */
  recipe?: unknown;
  webhookUrl?: string;
  autoStart?: boolean;
  retention?: { originals_days?: number | null; outputs_days?: number | null };
};

export const FINAL_STATUSES = new Set(['completed', 'failed', 'cancelled']);

function fieldsOf(o: BatchOptions): { name: string; value: string }[] {
  return [
    ...(o.name !== undefined ? [{ name: 'batch_name', value: o.name }] : []),
    ...(o.recipe !== undefined ? [{ name: 'recipe', value: JSON.stringify(o.recipe) }] : []),
    ...(o.webhookUrl !== undefined ? [{ name: 'webhook_url', value: o.webhookUrl }] : []),
    ...(o.autoStart !== undefined ? [{ name: 'auto_start', value: String(o.autoStart) }] : []),
    ...(o.retention !== undefined ? [{ name: 'retention', value: JSON.stringify(o.retention) }] : []),
  ];
}

/** The body of a multipart submission: a FormData, or (to report upload progress) a counted stream. */
function multipartBody(parts: Part[], onUpload?: (sent: number, total: number) => void): RequestInit {
  if (!onUpload) {
    const fd = new FormData();
    for (const p of parts) {
      if ('value' in p) fd.append(p.name, p.value);
      else fd.append(p.name, p.blob, p.filename);
    }
    return { body: fd };
  }
  const m = multipartStream(parts, onUpload);
  return {
    body: m.body,
    headers: { 'Content-Type': m.contentType, 'Content-Length': String(m.length) },
    duplex: 'half',
  } as RequestInit;
}

/**
 * A multipart submission, its body rebuilt for each attempt (files are Blobs backed by their source, e.g.
 * fs.openAsBlob, so nothing is held in memory) and retried on 429/503 with the same Idempotency-Key: one batch however often it is sent.
 */
async function submitMultipart(
  c: PixmillClient,
  parts: Part[],
  onUpload?: (sent: number, total: number) => void,
  retries = 4,
): Promise<CreatedBatch> {
  const key = crypto.randomUUID();
  for (let attempt = 0; ; attempt++) {
    const init = multipartBody(parts, onUpload);
    const res = await c.fetch('/api/v1/batches', {
      ...init,
      method: 'POST',
      headers: { ...(init.headers as Record<string, string> | undefined), 'Idempotency-Key': key },
    });
    if ((res.status === 429 || res.status === 503) && attempt < retries) {
      await res.body?.cancel();
      const wait = retryAfterMs(res.headers.get('Retry-After')) ?? 500 * 2 ** attempt;
      await new Promise((r) => setTimeout(r, Math.min(wait, 60_000)));
      continue;
    }
    const body = (await res.json().catch(() => null)) as { data?: CreatedBatch } | null;
    if (!res.ok || !body?.data) throw errorOf(res.status, body);
    return body.data;
  }
}

/** A batch of image files (Blobs or Files; in Node, see `filesFromPaths`). */
export function createImageBatch(
  c: PixmillClient,
  files: { name: string; blob: Blob }[],
  o: BatchOptions & { onUpload?: (sent: number, total: number) => void } = {},
): Promise<CreatedBatch> {
  const parts: Part[] = [...files.map((f) => ({ name: 'files[]', filename: f.name, blob: f.blob })), ...fieldsOf(o)];
  return submitMultipart(c, parts, o.onUpload);
}

/** A URL batch from a CSV (a `url` column, or the product sheet columns). */
export function createCsvBatch(
  c: PixmillClient,
  csv: { name: string; blob: Blob },
  o: BatchOptions = {},
): Promise<CreatedBatch> {
  return submitMultipart(c, [{ name: 'file', filename: csv.name, blob: csv.blob }, ...fieldsOf(o)]);
}

/** A URL batch from a list of URLs. */
export async function createUrlBatch(c: PixmillClient, urls: string[], o: BatchOptions = {}): Promise<CreatedBatch> {
  return (await unwrap(
    c.api.POST('/api/v1/batches', {
      body: {
        urls,
        ...(o.name !== undefined && { batch_name: o.name }),
        ...(o.recipe !== undefined && { recipe: o.recipe as Record<string, unknown> }),
        ...(o.webhookUrl !== undefined && { webhook_url: o.webhookUrl }),
        ...(o.autoStart !== undefined && { auto_start: o.autoStart }),
        ...(o.retention !== undefined && { retention: o.retention }),
      },
    }),
  )) as unknown as CreatedBatch;
}

export type WaitOptions = {
  onProgress?: (p: BatchProgress) => void;
  signal?: AbortSignal;
  /** Skip the event stream and poll (default: the stream, polling if it fails). */
  poll?: boolean;
};

/** Follows a batch to its end and answers its last progress. */
export async function waitForBatch(c: PixmillClient, id: string, o: WaitOptions = {}): Promise<BatchProgress> {
  if (!o.poll) {
    try {
      const last = await followEvents(c, id, o);
      if (last) return last;
    } catch (err) {
      if ((err as Error).name === 'AbortError' || (err as { status?: number }).status === 404) throw err;
      // The stream broke (a proxy, a restart): polling picks up from here.
    }
  }
  for (;;) {
    const res = await c.fetch(`/api/v1/batches/${id}/progress`, o.signal ? { signal: o.signal } : {});
    const body = (await res.json().catch(() => null)) as { data?: BatchProgress } | null;
    if (!res.ok || !body?.data) throw errorOf(res.status, body);
    o.onProgress?.(body.data);
    if (FINAL_STATUSES.has(body.data.status)) return body.data;
    const seconds = Number(res.headers.get('X-Polling-Interval'));
    await new Promise((r) => setTimeout(r, Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 2000));
  }
}

async function followEvents(c: PixmillClient, id: string, o: WaitOptions): Promise<BatchProgress | undefined> {
  const res = await c.fetch(`/api/v1/batches/${id}/events`, {
    headers: { Accept: 'text/event-stream' },
    ...(o.signal ? { signal: o.signal } : {}),
  });
  if (!res.ok || !res.body) throw errorOf(res.status, await res.json().catch(() => null));
  const decoder = new TextDecoder();
  let buffer = '';
  let last: BatchProgress | undefined;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (!event || !data) continue;
      last = JSON.parse(data) as BatchProgress;
      o.onProgress?.(last);
      if (event === 'end') return last;
    }
  }
  return last && FINAL_STATUSES.has(last.status) ? last : undefined;
}

/** Every item of a paged list (`page`/`per_page`, answering `items` and `total_pages`), a page at a time. */
export async function* paged<T>(
  c: PixmillClient,
  path: string,
  query: Record<string, string | number | undefined> = {},
): AsyncGenerator<T> {
  for (let page = 1; ; page++) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries({ per_page: 100, ...query, page }))
      if (v !== undefined) params.set(k, String(v));
    const res = await c.fetch(`${path}?${params}`);
    const body = (await res.json().catch(() => null)) as {
      data?: { items?: T[]; total_pages?: number; total?: number };
    } | null;
    if (!res.ok || !body?.data) throw errorOf(res.status, body);
    const items = body.data.items ?? [];
    yield* items;
    const pages = body.data.total_pages;
    if (items.length === 0 || (pages !== undefined ? page >= pages : items.length < Number(params.get('per_page'))))
      return;
  }
}
