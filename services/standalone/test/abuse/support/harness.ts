// The abuse suite's view of a running pixmill: `pnpm start` in a process of its own (support/target.ts), on the
// configuration this jest project runs (embedded defaults, or PostgreSQL + RabbitMQ + S3), plus what every case
// needs — a health and PID probe, users, uploads, raw HTTP for request targets that fetch() would normalise.
import http, { type IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { readData } from '@pixmill/gateway/testing';
import { category, type Category } from './cases';
import { installNetGuard } from './net-guard';
import { abuseConfig, startTarget, type Target } from '../../support/target';

export type Auth = { Authorization: string };

export type ImageItem = {
  id: string;
  source_url: string | null;
  original_name: string | null;
  status: string;
  error: { code: string; message: string } | null;
  outputs: { variant: string; format: string; width: number; height: number; download_url: string }[];
};

export type Abuse = {
  p: Target;
  cases: Category;
  health(): Promise<number>;
  postJson(path: string, body: unknown, auth?: Auth): Promise<Response>;
  upload(
    auth: Auth,
    files: { name: string; data: Buffer; type?: string }[],
    fields?: Record<string, string>,
  ): Promise<Response>;
  postCsv(auth: Auth, csv: Buffer | string, fields?: Record<string, string>): Promise<Response>;
  images(auth: Auth, batchId: string): Promise<ImageItem[]>;
  close(): Promise<void>;
};

export async function startAbuse(categoryName: string, extra: Record<string, string> = {}): Promise<Abuse> {
  installNetGuard();
  const p = await startTarget(abuseConfig(), extra);
  const health = async () => (await p.api('/api/v1/health')).status;
  const postJson: Abuse['postJson'] = (path, body, auth) =>
    p.api(path, {
      method: 'POST',
      ...(auth ? { auth } : {}),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  return {
    p,
    cases: category(categoryName, p.config, health, () => p.alive()),
    health,
    postJson,
    upload(auth, files, fields = {}) {
      const fd = new FormData();
      for (const f of files)
        fd.append(
          'files[]',
          new Blob([new Uint8Array(f.data)], { type: f.type ?? 'application/octet-stream' }),
          f.name,
        );
      for (const [k, v] of Object.entries(fields)) fd.append(k, v);
      return p.api('/api/v1/batches', { method: 'POST', auth, body: fd });
    },
    postCsv(auth, csv, fields = {}) {
      const fd = new FormData();
      const bytes = typeof csv === 'string' ? Buffer.from(csv) : csv;
      fd.append('file', new Blob([new Uint8Array(bytes)], { type: 'text/csv' }), 'input.csv');
      for (const [k, v] of Object.entries(fields)) fd.append(k, v);
      return p.api('/api/v1/batches', { method: 'POST', auth, body: fd });
    },
    async images(auth, batchId) {
      const res = await p.api(`/api/v1/batches/${batchId}/images?per_page=100`, { auth });
      if (res.status !== 200) throw new Error(`images of ${batchId}: ${res.status}`);
      return (await readData<{ items: ImageItem[] }>(res)).items;
    },
    close: () => p.close(),
  };
}

export type RawAnswer = { status: number; headers: IncomingHttpHeaders; body: string; rawHeaders: string[] };

/** One HTTP/1.1 request with the request target sent exactly as given (no dot-segment or encoding normalisation). */
export function rawRequest(
  port: number,
  o: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | string | Readable },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path, headers: o.headers });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    const body = o.body;
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
