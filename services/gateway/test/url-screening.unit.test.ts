import type { ChunkManifest } from '@pixmill/contracts';
import { parseAllowHosts, type Lookup } from '@pixmill/safe-fetch';
import { MAX_HOSTS, MAX_LISTED, UrlScreening } from '../src/batches/preflight/url-screening';

const BATCH = '00000000-0000-4000-8000-000000000003';
const manifest = (rows: ChunkManifest['rows']): ChunkManifest => ({
  v: 1,
  batchId: BATCH,
  seq: 1,
  firstRow: rows[0]?.row ?? 1,
  rowCount: rows.length,
  rows,
});
const row = (n: number, url: string, dupOf?: [number, number]) => ({
  row: n,
  cells: [url],
  urls: [dupOf ? { url, dupOf } : { url }],
});

describe('URL screening', () => {
  it('resolves each host once, counts every refused URL, and lists the first ones in row order', async () => {
    const asked: string[] = [];
    const lookup: Lookup = async (h) => {
      asked.push(h);
      return [{ address: h.startsWith('private') ? '10.0.0.7' : '93.184.216.34', family: 4 }];
    };
    const s = new UrlScreening([], 0);
    const rows = Array.from({ length: MAX_LISTED + 50 }, (_, i) =>
      row(i + 1, i % 2 ? `http://private.example/${i}.jpg` : `http://public.example/${i}.jpg`),
    );
    await s.saveManifest(manifest(rows));
    const r = await s.finish(lookup);
    expect(asked.sort()).toEqual(['private.example', 'public.example']);
    expect(r.refused.count).toBe(75);
    expect(r.refused.items).toHaveLength(75);
    expect(r.refused.items.map((f) => f.row)).toEqual(rows.filter((_, i) => i % 2).map((x) => x.row));
    expect(r.fetchableUrls).toBe(75);
  });

  it('resolves at most MAX_HOSTS hosts and says how many URLs it did not judge', async () => {
    let lookups = 0;
    const lookup: Lookup = async () => {
      lookups++;
      return [{ address: '93.184.216.34', family: 4 }];
    };
    const s = new UrlScreening([], 3, () => 0.5);
    await s.saveManifest(
      manifest(Array.from({ length: MAX_HOSTS + 5 }, (_, i) => row(i + 1, `http://h${i}.example/a.jpg`))),
    );
    const r = await s.finish(lookup);
    expect(lookups).toBe(MAX_HOSTS);
    expect(r.hosts).toEqual({ checked: MAX_HOSTS, unchecked_urls: 5 });
    expect(r.fetchableUrls).toBe(MAX_HOSTS + 5);
    expect(r.sample).toHaveLength(3);
  });

  it('needs no DNS for allowed hosts and public literals, and never samples a duplicate or a refused URL', async () => {
    const lookup: Lookup = async () => {
      throw new Error('no lookup expected');
    };
    const s = new UrlScreening(parseAllowHosts(['127.0.0.1:9000']), 10);
    await s.saveManifest(
      manifest([
        row(1, 'http://127.0.0.1:9000/a.jpg'),
        row(2, 'http://127.0.0.1:9000/a.jpg', [1, 0]),
        row(3, 'http://93.184.216.34/b.jpg'),
        row(4, 'http://127.0.0.1:9001/c.jpg'),
        row(5, 'javascript:alert(1)'),
      ]),
    );
    const r = await s.finish(lookup);
    expect(r.sample.map((x) => x.row)).toEqual([1, 3]);
    expect(r.refused.items.map((f) => [f.row, f.code])).toEqual([[4, 'blocked_address']]);
    expect(r.malformed.items.map((f) => [f.row, f.code])).toEqual([[5, 'blocked_scheme']]);
    expect(r.duplicates.items).toEqual([{ row: 2, url: 'http://127.0.0.1:9000/a.jpg', first_row: 1 }]);
    expect(r).toMatchObject({ fetchableUrls: 3, fetchableDistinct: 2 });
  });
});

describe('the probe sample', () => {
  it('is drawn from fetchable hosts only, however many refused URLs came first', async () => {
    const lookup: Lookup = async (h) => [{ address: h.startsWith('bad') ? '10.0.0.1' : '93.184.216.34', family: 4 }];
    const s = new UrlScreening(parseAllowHosts(['127.0.0.1:9000']), 3);
    const rows = [
      ...Array.from({ length: 50 }, (_, i) => row(i + 1, `http://bad${i}.example/a.jpg`)),
      row(51, 'http://127.0.0.1:9000/ok.jpg'),
      row(52, 'http://good.example/1.jpg'),
      row(53, 'http://good.example/2.jpg'),
      row(54, 'http://bad0.example/late.jpg'),
    ];
    await s.saveManifest(manifest(rows));
    const r = await s.finish(lookup);
    expect(r.sample.map((x) => x.row)).toEqual([51, 52, 53]);
    expect(r.refused.count).toBe(51);
  });
});
