// What the seed tests share: a seed document's curl lines as fetch requests (`-F name=value`, `-F name=@file`), and
// the error shape every route answers with.
import { randomBytes } from 'node:crypto';

export type Part = [name: string, value: string | { file: string; data: Buffer; type?: string }];

/** `curl -F` parts as a multipart body. */
export function curlForm(parts: Part[]): FormData {
  const fd = new FormData();
  for (const [name, value] of parts) {
    if (typeof value === 'string') fd.append(name, value);
    else
      fd.append(
        name,
        new Blob([new Uint8Array(value.data)], { type: value.type ?? 'application/octet-stream' }),
        value.file,
      );
  }
  return fd;
}

export type ErrorAnswer = { status: number; code: string; message: string; details: unknown };

/** The error a response carries, checked to have the one error shape of every route. */
export async function errorOf(res: Response): Promise<ErrorAnswer> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as {
    success: boolean;
    error: string;
    code: string;
    details: unknown;
    timestamp: string;
  };
  expect(Object.keys(body).sort()).toEqual(['code', 'details', 'error', 'success', 'timestamp']);
  expect(body).toMatchObject({ success: false, error: expect.any(String), code: expect.any(String) });
  expect(body.timestamp).toMatch(ISO);
  return { status: res.status, code: body.code, message: body.error, details: body.details };
}

/** Not an image: text that a careless client names `.jpg`. */
export const notAnImage = (): Buffer => Buffer.from(`just some notes ${randomBytes(4).toString('hex')}\n`);

export const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Polls `read` until `done` holds of what it answers. */
export async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`not done after ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
