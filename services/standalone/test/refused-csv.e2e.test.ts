// Refused CSVs on both configurations a user runs (`pnpm start` in a process of its own: with nothing configured —
// embedded database, in-process queue, local disk — and on PostgreSQL + RabbitMQ + S3): each answers 400/413 naming
// the row or the reason, through both the batch route and the short form, and the same process (same PID) goes on
// answering, with nothing of the refused files left in storage.
import { CONFIGURATIONS, startTarget, type Target } from './support/target';
import { readError } from '@pixmill/gateway/testing';

const MAX_CSV_BYTES = 64 * 1024;
const MAX_CSV_ROWS = 20;

describe.each(CONFIGURATIONS)('refused CSVs on the %s configuration', (config) => {
  let p: Target;
  let auth: { Authorization: string };

  beforeAll(async () => {
    p = await startTarget(config, { MAX_CSV_BYTES: String(MAX_CSV_BYTES), MAX_CSV_ROWS: String(MAX_CSV_ROWS) });
    auth = await p.userAuth('admin');
  }, 240_000);
  afterAll(() => p?.close());

  async function refusal(res: Response) {
    const e = await readError(res);
    return { status: res.status, code: e.code, message: e.error, details: e.details as Record<string, unknown> | null };
  }

  function postCsv(route: string, csv: Buffer | string, field = 'file') {
    const fd = new FormData();
    fd.append(field, new Blob([typeof csv === 'string' ? csv : new Uint8Array(csv)], { type: 'text/csv' }), 'in.csv');
    return fetch(`${p.url}${route}`, { method: 'POST', headers: auth, body: fd });
  }

  const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

  type Case = { name: string; csv: () => Buffer | string; status: number; code: string; message: RegExp };
  const cases: Case[] = [
    {
      name: 'an unterminated quote',
      csv: () => 'url\n"http://a.com/x.jpg\nhttp://b\nc\n',
      status: 400,
      code: 'malformed_csv',
      message: /^malformed CSV at row 1 \(line 2\): a quoted field is never closed$/,
    },
    {
      name: 'no URL column',
      csv: () => 'name,price\nchair,10\n',
      status: 400,
      code: 'missing_url_column',
      message: /has no URL column.*"name", "price"/,
    },
    {
      name: 'a PNG sent as the CSV',
      csv: () => PNG,
      status: 400,
      code: 'not_a_csv',
      message: /not a CSV: it contains binary data/,
    },
    { name: 'an empty file', csv: () => '', status: 400, code: 'empty_csv', message: /the CSV is empty/ },
    {
      name: 'a header and no rows',
      csv: () => 'url\n',
      status: 400,
      code: 'no_urls',
      message: /header but no rows/,
    },
    {
      name: 'Latin-1 text',
      csv: () => Buffer.from('url,name\r\nhttp://a.com/1.jpg,Caf\xe9 cr\xe8me\r\n', 'latin1'),
      status: 400,
      code: 'not_utf8',
      message: /not UTF-8 text/,
    },
    {
      name: 'UTF-16 text',
      csv: () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('url\r\nhttp://a.com/1.jpg\r\n', 'utf16le')]),
      status: 400,
      code: 'not_a_csv',
      message: /UTF-16/,
    },
    {
      name: 'more fields than the header',
      csv: () => 'url\nhttp://a.com/1.jpg\nhttp://a.com/2.jpg,extra\n',
      status: 400,
      code: 'malformed_csv',
      message: /^malformed CSV at row 2 \(line 3\): it has 2 fields but the header has 1/,
    },
    {
      name: 'more rows than MAX_CSV_ROWS',
      csv: () => `url\n${Array.from({ length: MAX_CSV_ROWS + 5 }, (_, i) => `http://a.com/${i}.jpg`).join('\n')}\n`,
      status: 413,
      code: 'payload_too_large',
      message: new RegExp(`more than ${MAX_CSV_ROWS} rows`),
    },
    {
      name: 'a file over MAX_CSV_BYTES, refused while it streams',
      csv: () => `url\nhttp://a.com/${'a'.repeat(MAX_CSV_BYTES * 4)}.jpg\n`,
      status: 413,
      code: 'payload_too_large',
      message: new RegExp(`larger than the limit of ${MAX_CSV_BYTES} bytes`),
    },
  ];

  describe.each([
    ['POST /api/v1/batches', '/api/v1/batches'],
    ['POST /api/upload', '/api/upload'],
  ])('%s', (_title, route) => {
    it.each(cases)('refuses $name, and the process lives on', async (c) => {
      const got = await refusal(await postCsv(route, c.csv()));
      expect(got).toMatchObject({ status: c.status, code: c.code });
      expect(got.message).toMatch(c.message);
      expect(p.alive()).toBe(true);
      expect((await fetch(`${p.url}/api/v1/health`)).status).toBe(200);
    });
  });

  it('keeps nothing of the refused files: no batch, no upload intent, no stored object, no temp file', async () => {
    expect(await p.db.batch.count()).toBe(0);
    expect(await p.db.uploadIntent.count()).toBe(0);
    expect(p.countObjects('')).toBe(0);
  });

  it('still takes a good CSV afterwards', async () => {
    const res = await postCsv('/api/v1/batches', 'url\nhttp://127.0.0.1:9/a.jpg\n');
    expect(res.status).toBe(202);
    expect(p.alive()).toBe(true);
  });
});
