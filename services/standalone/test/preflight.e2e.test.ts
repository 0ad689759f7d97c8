// Preflight of a URL batch on both configurations a user runs: the bodies of batch creation, judged and counted,
// nothing created or stored, no connection to a refused address (the DNS stub points names at private addresses,
// the tripwire and a trap server would see any traffic), a sample probed through the safe fetcher.
import { startTrap } from '@pixmill/safe-fetch/testing';
import { stubDns, stubLookups, trippedConnections } from './abuse/support/net-guard';
import { CONFIGURATIONS, startTarget, type Target } from './support/target';
import { dataIn } from '@pixmill/gateway/testing';
import { startUrlServer, type UrlServer } from './support/url-server';

type Auth = { Authorization: string };
type Finding = { row: number; url: string; code: string; reason: string };
type Listed<T> = { count: number; items: T[] };
type Report = {
  source: string;
  file_name: string | null;
  rows: number;
  urls: number;
  distinct_urls: number;
  chunks: number;
  duplicates: Listed<{ row: number; url: string; first_row: number }>;
  malformed: Listed<Finding>;
  refused: Listed<Finding>;
  unresolved: Listed<Finding>;
  hosts: { checked: number; unchecked_urls: number };
  probe: {
    requested: number;
    checked: number;
    ok: number;
    items: {
      row: number;
      url: string;
      ok: boolean;
      format: string | null;
      bytes: number | null;
      code: string | null;
    }[];
  } | null;
  estimate: { images: number; fetches: number; outputs: number; bytes: number | null; seconds: number | null };
};
type ErrorBody = { success: false; error: string; code: string; details: Record<string, unknown> | null };

describe.each(CONFIGURATIONS)('preflight on the %s configuration', (config) => {
  let p: Target;
  let srv: UrlServer;
  let trap: Awaited<ReturnType<typeof startTrap>>;
  let alice: Auth;

  beforeAll(async () => {
    srv = await startUrlServer();
    trap = await startTrap();
    stubDns('internal.abuse.test', ['10.0.0.1']);
    stubDns('metadata.abuse.test', ['169.254.169.254']);
    stubDns('mixed.abuse.test', ['93.184.216.34', '192.168.1.10']);
    p = await startTarget(config, { FETCH_ALLOW_HOSTS: `127.0.0.1:${srv.port}`, CHUNK_SIZE: '3' });
    alice = await p.userAuth('alice');
  }, 240_000);
  afterAll(async () => {
    await p?.close();
    await srv?.close();
    await trap?.close();
  });
  afterEach(async () => {
    // Nothing was made, nothing stored, nothing connected to but the image server.
    expect(await p.db.batch.count()).toBe(0);
    expect(p.countObjects('uploads/')).toBe(0);
    expect(trap.connections()).toBe(0);
    expect(trippedConnections()).toEqual([]);
  });

  const u = (path: string) => `${srv.origin}${path}`;

  async function preflightCsv(csv: string, query = '', fields: Record<string, string> = {}) {
    const fd = new FormData();
    fd.append('file', new Blob([csv], { type: 'text/csv' }), 'products.csv');
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    const res = await p.api(`/api/v1/batches/preflight${query}`, { method: 'POST', auth: alice, body: fd });
    return { status: res.status, body: (await res.json()) as unknown };
  }

  async function preflightJson(body: unknown, query = '') {
    const res = await p.api(`/api/v1/batches/preflight${query}`, {
      method: 'POST',
      auth: alice,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  }

  it('counts rows and URLs, and names duplicates, malformed and refused URLs with their rows', async () => {
    const csv = [
      'S. No.,Product Name,Input Image Urls',
      `1,Shirt,"${u('/img/shirt-64x48.jpg')}, ${u('/img/back-32x48.png')}"`,
      `2,Shirt again,${u('/img/shirt-64x48.jpg')}`,
      '3,Typo,htp//example.invalid/a.jpg',
      '4,FTP,ftp://files.example.com/a.jpg',
      '5,Private literal,http://10.1.2.3/a.jpg',
      '6,Private by DNS,http://internal.abuse.test/a.jpg',
      '7,Cloud metadata,http://metadata.abuse.test/latest/meta-data',
      '8,One private answer of two,http://mixed.abuse.test/a.jpg',
      '9,No such host,http://nowhere.abuse.test/a.jpg',
      '10,No image,',
    ].join('\n');
    const { status, body } = await preflightCsv(csv, '?probe=5');
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true });
    const r = dataIn<Report>(body);
    expect(r).toMatchObject({
      source: 'csv',
      file_name: 'products.csv',
      rows: 10,
      urls: 10,
      distinct_urls: 9,
      chunks: 4,
    });
    expect(r.duplicates).toEqual({ count: 1, items: [{ row: 2, url: u('/img/shirt-64x48.jpg'), first_row: 1 }] });
    expect(r.malformed.count).toBe(2);
    expect(r.malformed.items.map((f) => [f.row, f.code])).toEqual([
      [3, 'invalid_url'],
      [4, 'blocked_scheme'],
    ]);
    expect(r.refused.count).toBe(4);
    expect(r.refused.items.map((f) => [f.row, f.code])).toEqual([
      [5, 'blocked_address'],
      [6, 'blocked_address'],
      [7, 'blocked_address'],
      [8, 'blocked_address'],
    ]);
    // The reason names the host, never the private address it resolved to.
    expect(r.refused.items[1]!.reason).toContain('internal.abuse.test');
    expect(r.refused.items[1]!.reason).not.toContain('10.0.0.1');
    expect(r.unresolved).toEqual({
      count: 1,
      items: [{ row: 9, url: 'http://nowhere.abuse.test/a.jpg', code: 'dns_failure', reason: expect.any(String) }],
    });
    // Each stubbed host was looked up (DNS decided), none of them was connected to (afterEach).
    expect(stubLookups()).toEqual(
      expect.arrayContaining(['internal.abuse.test', 'metadata.abuse.test', 'mixed.abuse.test']),
    );
    expect(r.hosts.checked).toBe(4);

    // The probe fetched only the two distinct fetchable URLs (the image server is allowed), as images.
    expect(r.probe).toMatchObject({ requested: 5, checked: 2, ok: 2 });
    expect(r.probe!.items.map((i) => [i.row, i.ok, i.format])).toEqual([
      [1, true, 'jpeg'],
      [1, true, 'png'],
    ]);
    expect(r.probe!.items.every((i) => (i.bytes ?? 0) > 100)).toBe(true);
    const probed = r.probe!.items.reduce((n, i) => n + i.bytes!, 0);
    expect(r.estimate).toMatchObject({ images: 3, fetches: 2, outputs: 3 * 1, bytes: probed });
  });

  it('takes a JSON list as batch creation does, rows being positions, with a probe that reports failures', async () => {
    const { status, body } = await preflightJson(
      {
        urls: [u('/img/a-40x30.webp'), 'http://internal.abuse.test/x.jpg', u('/img/a-40x30.webp'), u('/missing.jpg')],
        recipe: {
          variants: [
            { name: 'thumb', width: 20 },
            { name: 'web', width: 30, format: 'webp' },
          ],
        },
      },
      '?probe=3',
    );
    expect(status).toBe(200);
    const r = dataIn<Report>(body);
    expect(r).toMatchObject({ source: 'url_list', file_name: null, rows: 4, urls: 4, distinct_urls: 3 });
    expect(r.duplicates.items).toEqual([{ row: 3, url: u('/img/a-40x30.webp'), first_row: 1 }]);
    expect(r.refused.items.map((f) => f.row)).toEqual([2]);
    expect(r.estimate).toMatchObject({ images: 3, fetches: 2, outputs: 6 });
    expect(r.probe!.items.map((i) => [i.row, i.ok, i.code])).toEqual([
      [1, true, null],
      [4, false, 'http_error'],
    ]);
  });

  it('refuses what batch creation refuses, with the same errors', async () => {
    const malformed = await preflightCsv(`url\n${u('/img/a-10x10.jpg')}\n"never closed\n`);
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ success: false, code: 'malformed_csv', details: { row: 2 } });

    const noColumn = await preflightCsv('name,price\nshirt,3\n');
    expect(noColumn.status).toBe(400);
    expect((noColumn.body as ErrorBody).code).toBe('missing_url_column');

    const badRecipe = await preflightCsv(`url\n${u('/img/a-10x10.jpg')}\n`, '', { recipe: '{"variants":[]}' });
    expect(badRecipe.status).toBe(400);
    expect((badRecipe.body as ErrorBody).code).toBe('invalid_recipe');

    const unknown = await preflightJson({ urls: [u('/img/a-10x10.jpg')], colour: 'blue' });
    expect(unknown.status).toBe(400);
    expect((unknown.body as ErrorBody).code).toBe('unknown_field');

    const tooMany = await preflightJson({ urls: [u('/img/a-10x10.jpg')] }, '?probe=1000');
    expect(tooMany.status).toBe(400);

    const fd = new FormData();
    fd.append('files[]', new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: 'image/jpeg' }), 'a.jpg');
    const images = await p.api('/api/v1/batches/preflight', { method: 'POST', auth: alice, body: fd });
    expect(images.status).toBe(400);
    expect(((await images.json()) as ErrorBody).code).toBe('unexpected_field');

    const anonymous = await fetch(`${p.url}/api/v1/batches/preflight`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ urls: [u('/img/a-10x10.jpg')] }),
    });
    expect(anonymous.status).toBe(401);
  });

  if (config === 'embedded') {
    it('reads a 100,000-row CSV', async () => {
      const rows = Array.from({ length: 100_000 }, (_, i) => `${u(`/img/p${i}-64x64.jpg`)},Product ${i}`);
      const csv = `url,name\n${rows.join('\n')}\n`;
      const started = Date.now();
      const { status, body } = await preflightCsv(csv);
      const ms = Date.now() - started;
      expect(status).toBe(200);
      const r = dataIn<Report>(body);
      expect(r).toMatchObject({ rows: 100_000, urls: 100_000, distinct_urls: 100_000 });
      expect(r.estimate.images).toBe(100_000);
      // A figure for the findings, not an assertion about speed.
      console.log(`preflight of a 100,000-row CSV (${csv.length} bytes): ${ms} ms`);
    }, 120_000);
  }
});
