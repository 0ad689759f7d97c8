// Image analysis end to end, as a user runs it: `pnpm start` with nothing configured (its own process: embedded
// database, in-process queue, local disk) first, then the all-in-one on PostgreSQL, RabbitMQ and S3 protocol. Real
// photographs and models; the batch completes once, after its images' slow analyses.
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import {
  astronaut,
  blurred,
  CONTACT,
  landscape,
  photoWithContact,
  recompressed,
  sharpPhoto,
} from '@pixmill/analysis/testing';
import { startEmbeddedProcess, type EmbeddedProcess } from './support/embedded-process';
import { startPipeline, type Pipeline } from './support/pipeline';
import { dataOf, errorOf } from '@pixmill/gateway/testing';

type Auth = { Authorization: string };
type Target = { base: string; auth: Auth; close: () => Promise<unknown> };
type Item = {
  id: string;
  original_name: string;
  status: string;
  analysis_status: string | null;
  analysis: Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  outputs: { variant: string; width: number; height: number; download_url: string }[];
};

const KINDS = ['metadata', 'colours', 'placeholder', 'phash', 'quality', 'faces', 'text'];
const RECIPE = {
  variants: [
    { name: 'web', width: 800, fit: 'inside', format: 'jpeg' },
    { name: 'face', width: 200, height: 200, fit: 'cover', position: 'faces', format: 'jpeg' },
  ],
};

// Two batches, so OCR (seconds a photograph, many more for busy ones on a loaded machine) reads only three images:
// one with every analysis, one with the cheap set (blur and near-duplicates need no OCR).
const CHEAP_KINDS = ['phash', 'quality'];
async function files(): Promise<{ all: [string, Buffer][]; cheap: [string, Buffer][] }> {
  const photo = sharpPhoto();
  return {
    all: [
      ['contact.jpg', await photoWithContact()],
      ['astronaut.jpg', astronaut()],
      ['dune.jpg', landscape()],
    ],
    cheap: [
      ['elephants.jpg', photo],
      ['elephants-blurred.jpg', await blurred(photo)],
      ['elephants-small.jpg', await recompressed(photo)],
      ['dune.jpg', landscape()],
    ],
  };
}

async function call(t: Target, path: string, init: RequestInit = {}) {
  const res = await fetch(`${t.base}${path}`, { ...init, headers: { ...t.auth, ...(init.headers ?? {}) } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV and other text answers stay text
  }
  return { status: res.status, body: body as any, text }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function waitForEnd(t: Target, batchId: string, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  const seen: number[] = [];
  for (;;) {
    const res = await call(t, `/api/v1/batches/${batchId}/progress`);
    const data = dataOf(res);
    seen.push(Number(data.progress_percentage ?? data.progress ?? 0));
    if (['completed', 'failed', 'cancelled'].includes(String(data.status))) return { data, seen };
    if (Date.now() > deadline) throw new Error(`batch not final: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function suite(name: string, start: () => Promise<Target>) {
  describe(name, () => {
    let t: Target;
    let batchId: string;
    let cheapBatchId: string;
    let items: Map<string, Item>;
    let cheapItems: Map<string, Item>;
    const create = async (list: [string, Buffer][], kinds: string[], recipe?: object) => {
      const fd = new FormData();
      for (const [file, data] of list)
        fd.append('files[]', new Blob([new Uint8Array(data)], { type: 'image/jpeg' }), file);
      if (recipe) fd.append('recipe', JSON.stringify(recipe));
      fd.append('analysis', JSON.stringify(kinds));
      const res = await call(t, '/api/v1/batches', { method: 'POST', body: fd });
      expect(res.status).toBe(201);
      return dataOf(res).batch_id as string;
    };
    const itemsOf = async (id: string) => {
      const list = await call(t, `/api/v1/batches/${id}/images?per_page=100`);
      return new Map((dataOf(list).items as Item[]).map((i) => [i.original_name, i]));
    };
    beforeAll(async () => {
      t = await start();
      const f = await files();
      batchId = await create(f.all, KINDS, RECIPE);
      cheapBatchId = await create(f.cheap, CHEAP_KINDS);
      for (const id of [batchId, cheapBatchId]) expect((await waitForEnd(t, id)).data.status).toBe('completed');
      items = await itemsOf(batchId);
      cheapItems = await itemsOf(cheapBatchId);
    }, 900_000);
    afterAll(async () => {
      await t?.close();
    });

    it('ends the batch only after every image’s analyses, each image analysed', () => {
      expect(items.size).toBe(3);
      expect(cheapItems.size).toBe(4);
      for (const item of cheapItems.values())
        expect(Object.keys(item.analysis!.timings_ms).sort()).toEqual(CHEAP_KINDS);
      for (const item of items.values()) {
        expect(item.status).toBe('succeeded');
        expect(item.analysis_status).toBe('done');
        expect(item.analysis!.errors).toBeUndefined();
        expect(Object.keys(item.analysis!.timings_ms).sort()).toEqual([...KINDS].sort());
      }
    });

    it('reads the phone number and e-mail off the photograph that shows them, and none off the others', () => {
      const text = items.get('contact.jpg')!.analysis!.text;
      expect(text.business_contact.emails).toEqual([CONTACT.email]);
      expect(text.business_contact.phones).toEqual([CONTACT.e164]);
      expect(text.text_content).toContain(CONTACT.email);
      for (const other of ['dune.jpg', 'astronaut.jpg'])
        expect(items.get(other)!.analysis!.text.business_contact).toEqual({ emails: [], phones: [], urls: [] });
    });

    it('finds the face, flags the blurred copy, and describes the file', () => {
      expect(items.get('astronaut.jpg')!.analysis!.faces.count).toBe(1);
      expect(items.get('dune.jpg')!.analysis!.faces.count).toBe(0);
      expect(cheapItems.get('elephants-blurred.jpg')!.analysis!.quality.blurry).toBe(true);
      expect(cheapItems.get('elephants.jpg')!.analysis!.quality.blurry).toBe(false);
      expect(items.get('dune.jpg')!.analysis!.metadata).toMatchObject({ format: 'jpeg', width: 1680 });
      expect(items.get('dune.jpg')!.analysis!.placeholder.thumbhash).toMatch(/^[A-Za-z0-9+/=]{20,}$/);
      expect(items.get('dune.jpg')!.analysis!.colours.palette.length).toBeGreaterThan(1);
    });

    it('keeps the face inside the `faces` crop', async () => {
      const item = items.get('astronaut.jpg')!;
      const out = item.outputs.find((o) => o.variant === 'face')!;
      expect([out.width, out.height]).toEqual([200, 200]);
      const res = await fetch(out.download_url.startsWith('http') ? out.download_url : `${t.base}${out.download_url}`);
      expect(res.status).toBe(200);
      expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width).toBe(200);
    });

    it('groups the recompressed copy with its original, not the unrelated photographs', async () => {
      const res = await call(t, `/api/v1/batches/${cheapBatchId}/duplicates`);
      expect(res.status).toBe(200);
      const groups = (dataOf(res).near_duplicates as { images: { original_name: string }[] }[]).map((g) =>
        g.images.map((i) => i.original_name).sort(),
      );
      expect(groups).toContainEqual(expect.arrayContaining(['elephants-small.jpg', 'elephants.jpg']));
      expect(groups.flat()).not.toContain('dune.jpg');
      // The same dune.jpg bytes are in the other batch: an exact duplicate across the user's batches.
      const exact = dataOf(res).exact_duplicates as { in_other_batches: { batch_id: string }[] }[];
      expect(exact.flatMap((e) => e.in_other_batches.map((o) => o.batch_id))).toContain(batchId);
    });

    it('exports seed 002’s text_content and business_contact, filtered with has_contact', async () => {
      const csv = await call(t, `/api/v1/export/batch/${batchId}?format=csv&has_contact=true`);
      expect(csv.status).toBe(200);
      const rows = parse(csv.text.replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true }) as Record<
        string,
        string
      >[];
      const data = rows.filter((r) => r.image_id);
      expect(new Set(data.map((r) => r.source))).toEqual(new Set(['contact.jpg']));
      expect(data[0]!.business_contact).toContain(CONTACT.email);
      expect(data[0]!.business_contact).toContain(CONTACT.e164);
      expect(data[0]!.text_content).toContain(CONTACT.email);
      const preview = await call(t, `/api/v1/export/batch/${batchId}/preview?has_contact=true`);
      expect(preview.status).toBe(200);
      expect(JSON.stringify(dataOf(preview))).toContain(CONTACT.email);
      const all = await call(t, `/api/v1/export/batch/${batchId}/preview`);
      expect(JSON.stringify(dataOf(all))).toContain('dune.jpg');
      const results = await call(t, `/api/v1/batches/${batchId}/results.csv`);
      expect(results.status).toBe(200);
      const lines = parse(results.text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
      const contact = lines.find((l) => l.Image === 'contact.jpg')!;
      expect(contact['Business Contact']).toContain(CONTACT.email);
      expect(contact['Text Content']).toContain(CONTACT.email);
      expect(lines.find((l) => l.Image === 'dune.jpg')!['Business Contact']).toBe('');
    });

    it('refuses has_store_name on a batch that did not ask for describe, and describe without a provider', async () => {
      const r = await call(t, `/api/v1/export/batch/${batchId}?has_store_name=true`);
      expect(r.status).toBe(400);
      expect(JSON.stringify(errorOf(r))).toContain('analysis_not_enabled');
      const fd = new FormData();
      fd.append('files[]', new Blob([new Uint8Array(astronaut())], { type: 'image/jpeg' }), 'a.jpg');
      fd.append('analysis', '["describe"]');
      const refused = await call(t, '/api/v1/batches', { method: 'POST', body: fd });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(errorOf(refused))).toContain('analysis_unavailable');
      const bad = new FormData();
      bad.append('files[]', new Blob([new Uint8Array(astronaut())], { type: 'image/jpeg' }), 'a.jpg');
      bad.append('analysis', '["x-ray"]');
      expect((await call(t, '/api/v1/batches', { method: 'POST', body: bad })).status).toBe(400);
    });
  });
}

suite('image analysis on the embedded default (pnpm start, nothing configured)', async () => {
  // A loaded CI machine can make one OCR take minutes; the limit is not what is tested here.
  const proc: EmbeddedProcess = await startEmbeddedProcess({
    timeoutMs: 120_000,
    env: { ANALYSIS_TIMEOUT_MS: '300000' },
  });
  return { base: proc.base, auth: await proc.adminAuth(), close: () => proc.stop() };
});

suite('image analysis on PostgreSQL, RabbitMQ and S3 protocol', async () => {
  const p: Pipeline = await startPipeline({ ANALYSIS_TIMEOUT_MS: '300000' });
  return { base: p.url, auth: await p.userAuth('alice'), close: () => p.close() };
});
