// The batches every scenario runs: uploaded images and URLs from the loopback image server, small (64–200 px) so
// hundreds take seconds, with a few bad ones that must end `failed` with a reason (and nothing else may).
import { randomBytes } from 'node:crypto';
import { photo, truncatedJpeg } from '../../support/images';
import type { FaultStack } from './fault-stack';
import { dataIn } from '@pixmill/gateway/testing';

/** Where batches are submitted: a gateway (`api`), with the receiver and image server the batches name. */
export type Submitter = Pick<FaultStack, 'api' | 'receiver' | 'images'>;

/** Two cheap variants, so every succeeded image has exactly two outputs. */
export const RECIPE = {
  variants: [
    { name: 'thumb', width: 48, height: 48, fit: 'cover', format: 'jpeg', quality: 60 },
    { name: 'small', width: 96, format: 'webp', quality: 50 },
  ],
};
export const VARIANTS = RECIPE.variants.map((v) => v.name);

export type SubmittedBatch = {
  batchId: string;
  name: string;
  kind: 'upload' | 'urls';
  total: number;
  webhookSecret: string;
  /** Original names (uploads) or URLs that must fail; every other image must succeed. */
  expectFailed: Set<string>;
};

export type UploadFile = { name: string; data: Buffer };

const size = (i: number, salt: number) => 64 + ((i * salt) % 137);

/** `count` distinct JPEGs, the last `bad` of them truncated (they pass the upload's type check, then fail to decode). */
export async function uploadFiles(tag: string, count: number, bad: number): Promise<UploadFile[]> {
  const broken = await truncatedJpeg();
  return Promise.all(
    Array.from({ length: count }, async (_, i) =>
      i >= count - bad
        ? { name: `${tag}-bad-${i}.jpg`, data: broken }
        : { name: `${tag}-${i}.jpg`, data: await photo(size(i, 37), size(i, 53)) },
    ),
  );
}

export function uploadForm(files: UploadFile[], fields: Record<string, string>): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append('files[]', new Blob([new Uint8Array(f.data)], { type: 'image/jpeg' }), f.name);
  return form;
}

export const batchFields = (stack: Submitter, name: string): Record<string, string> => ({
  batch_name: name,
  recipe: JSON.stringify(RECIPE),
  webhook_url: stack.receiver.url(`/hooks/${name}`),
});

type Created = { batch_id: string; webhook_secret?: string; total_images: number };

async function created(res: Response, what: string): Promise<Created> {
  const text = await res.text();
  if (res.status !== 201 && res.status !== 202 && res.status !== 200) throw new Error(`${what}: ${res.status} ${text}`);
  const body = dataIn<Created>(JSON.parse(text));
  if (!body.webhook_secret) throw new Error(`${what}: no webhook_secret in ${text}`);
  return body;
}

export async function submitUploadBatch(
  stack: Submitter,
  o: {
    name: string;
    count?: number;
    bad?: number;
    files?: UploadFile[];
    idempotencyKey?: string;
    /** `false`: the batch waits in `pending` until started. */
    autoStart?: boolean;
  },
): Promise<SubmittedBatch> {
  const count = o.count ?? 200;
  const bad = o.bad ?? 4;
  const files = o.files ?? (await uploadFiles(o.name, count, bad));
  const res = await stack.api('/api/v1/batches', {
    method: 'POST',
    body: uploadForm(files, {
      ...batchFields(stack, o.name),
      ...(o.autoStart === false ? { auto_start: 'false' } : {}),
    }),
    headers: o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {},
  });
  const body = await created(res, `upload batch ${o.name}`);
  return {
    batchId: body.batch_id,
    name: o.name,
    kind: 'upload',
    total: files.length,
    webhookSecret: body.webhook_secret!,
    expectFailed: new Set(files.filter((f) => f.name.includes('-bad-')).map((f) => f.name)),
  };
}

/** `count` URLs: distinct images, the last `bad` alternately answering 404 and non-image bytes. */
export function batchUrls(stack: Submitter, tag: string, count: number, bad: number): string[] {
  const salt = randomBytes(3).toString('hex');
  return Array.from({ length: count }, (_, i) => {
    if (i < count - bad) return `${stack.images.origin}/img/${tag}-${salt}-${i}-${size(i, 41)}x${size(i, 29)}.jpg`;
    return i % 2 === 0 ? `${stack.images.origin}/missing/${tag}-${i}` : `${stack.images.origin}/text/${tag}-${i}.jpg`;
  });
}

export async function submitUrlBatch(
  stack: Submitter,
  o: { name: string; count?: number; bad?: number },
): Promise<SubmittedBatch> {
  const count = o.count ?? 200;
  const bad = o.bad ?? 4;
  const urls = batchUrls(stack, o.name, count, bad);
  const fields = batchFields(stack, o.name);
  const res = await stack.api('/api/v1/batches', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ urls, batch_name: fields.batch_name, recipe: RECIPE, webhook_url: fields.webhook_url }),
  });
  const body = await created(res, `URL batch ${o.name}`);
  return {
    batchId: body.batch_id,
    name: o.name,
    kind: 'urls',
    total: urls.length,
    webhookSecret: body.webhook_secret!,
    expectFailed: new Set(urls.slice(count - bad)),
  };
}
