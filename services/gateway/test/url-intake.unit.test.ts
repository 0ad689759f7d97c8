// The pure parts of URL intake: header shapes, splitting URL cells, chunking and first occurrences, results cells.
import { Readable } from 'node:stream';
import { detectShape, urlsOf, urlSeparator } from '../src/batches/url-intake/csv-shape';
import { readCsv, readerFor } from '../src/batches/url-intake/csv-records';
import type { ChunkManifest } from '@pixmill/contracts';
import { receiveCsv, storeCsv } from '../src/batches/url-intake/receive-csv';
import { rowStatus, safeCell } from '../src/batches/url-intake/results-csv';
import { UrlIntake } from '../src/batches/url-intake/url-intake';
import { ValidationError } from '../src/errors';

describe('CSV shape', () => {
  it('finds a url column whatever its case and spacing', () => {
    expect(detectShape(['name', ' URL '])).toEqual({ kind: 'url', urlColumn: 1 });
    expect(detectShape(['Image_URL', 'x'])).toEqual({ kind: 'url', urlColumn: 0 });
  });

  it('recognises the product sheet, with or without its serial and name columns', () => {
    expect(detectShape(['s. no.', 'PRODUCT NAME', 'input  image urls', 'url'])).toEqual({
      kind: 'product',
      urlColumn: 2,
      serialColumn: 0,
      nameColumn: 1,
    });
    expect(detectShape(['sku', 'Input_Image_Urls'])).toEqual({ kind: 'product', urlColumn: 1 });
  });

  it('refuses a header without a URL column, naming what it found', () => {
    expect(() => detectShape(['name', 'price'])).toThrow(ValidationError);
    try {
      detectShape(['name', 'price']);
    } catch (err) {
      expect((err as ValidationError).code).toBe('missing_url_column');
      expect((err as ValidationError).message).toContain('"price"');
    }
  });

  it('splits product cells on commas that start a new URL, keeping commas inside a URL', () => {
    const shape = detectShape(['Input Image Urls']);
    expect(urlsOf(shape, ['https://a.test/1.jpg, https://a.test/2.jpg,http://b.test/w_400,h_300/3.jpg'])).toEqual([
      'https://a.test/1.jpg',
      'https://a.test/2.jpg',
      'http://b.test/w_400,h_300/3.jpg',
    ]);
    expect(urlsOf(shape, ['https://a.test/1.jpg\nhttps://a.test/2.jpg,'])).toEqual([
      'https://a.test/1.jpg',
      'https://a.test/2.jpg',
    ]);
    expect(urlsOf(shape, ['  '])).toEqual([]);
    expect(urlSeparator(shape, ['https://a.test/1.jpg, https://a.test/2.jpg'])).toBe(', ');
    expect(urlSeparator(shape, ['https://a.test/1.jpg,https://a.test/2.jpg'])).toBe(',');
  });

  it('takes a url cell whole, trimmed', () => {
    const shape = detectShape(['url']);
    expect(urlsOf(shape, [' http://a.test/x,y.jpg '])).toEqual(['http://a.test/x,y.jpg']);
    expect(urlsOf(shape, [''])).toEqual([]);
  });
});

async function records(text: string | Buffer) {
  let header: string[] = [];
  const rows: { row: number; cells: string[] }[] = [];
  for await (const r of readCsv(readerFor(Readable.from([Buffer.from(text)])), (h) => (header = h))) rows.push(r);
  return { header, rows };
}

describe('reading a CSV', () => {
  it('handles a BOM, CRLF, quoted commas and newlines, and blank lines', async () => {
    const { header, rows } = await records(
      '\ufeffurl,name\r\nhttp://a.test/1.jpg,"Shirt, blue"\r\n\r\n,,\r\nhttp://a.test/2.jpg,"two\r\nlines"\r\nhttp://a.test/3.jpg,12" frame\r\n',
    );
    expect(header).toEqual(['url', 'name']);
    expect(rows).toEqual([
      { row: 1, cells: ['http://a.test/1.jpg', 'Shirt, blue'] },
      { row: 2, cells: ['http://a.test/2.jpg', 'two\r\nlines'] },
      { row: 3, cells: ['http://a.test/3.jpg', '12" frame'] },
    ]);
  });

  it('accepts trailing empty cells but refuses extra values, naming the row and line', async () => {
    expect((await records('url,name\nhttp://a.test/1.jpg,x,,\n')).rows).toHaveLength(1);
    const err = await records('url,name\nhttp://a.test/1.jpg,x\nhttp://a.test/2.jpg,y,oops\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe('malformed_csv');
    expect((err as ValidationError).details).toEqual({ row: 2, line: 3 });
  });

  it('refuses an unclosed quote with the row it starts on', async () => {
    const err = (await records(
      'url,name\nhttp://a.test/1.jpg,x\nhttp://a.test/2.jpg,"never closed\nhttp://a.test/3.jpg,z\n',
    ).catch((e: unknown) => e)) as ValidationError;
    expect(err.code).toBe('malformed_csv');
    expect(err.details).toEqual({ row: 2, line: 3 });
    expect(err.message).toContain('never closed');
  });
});

describe('URL intake', () => {
  const run = async (header: string[], rows: string[][], limits = { chunkSize: 2, maxRows: 100, maxUrls: 100 }) => {
    const written: ChunkManifest[] = [];
    const intake = new UrlIntake('00000000-0000-4000-8000-000000000001', limits, async (manifest) => {
      written.push(manifest);
    });
    intake.setHeader(header);
    for (let i = 0; i < rows.length; i++) await intake.addRow(i + 1, rows[i]!);
    const summary = await intake.finish();
    return { summary, manifests: written.sort((a, b) => a.seq - b.seq) };
  };

  it('cuts chunks at CHUNK_SIZE rows or URLs without splitting a row, and counts every URL', async () => {
    const { summary, manifests } = await run(
      ['S. No.', 'Product Name', 'Input Image Urls'],
      [
        ['1', 'a', 'http://x.test/1.jpg,http://x.test/2.jpg,http://x.test/3.jpg'],
        ['2', 'b', ''],
        ['3', 'c', 'http://x.test/4.jpg'],
        ['4', 'd', 'http://x.test/5.jpg'],
      ],
    );
    expect(summary).toMatchObject({ rows: 4, urls: 5, distinctUrls: 5 });
    expect(summary.chunks).toEqual([
      { seq: 1, firstRow: 1, rowCount: 1, urlCount: 3 },
      { seq: 2, firstRow: 2, rowCount: 2, urlCount: 1 },
      { seq: 3, firstRow: 4, rowCount: 1, urlCount: 1 },
    ]);
    // Rows without URLs are not in the manifest; their row numbers still count.
    expect(manifests[1]!.rows.map((r) => r.row)).toEqual([3]);
  });

  it('points every repeat of a URL at its first occurrence', async () => {
    const { summary, manifests } = await run(
      ['url'],
      [['http://x.test/a.jpg'], ['http://x.test/b.jpg'], ['http://x.test/a.jpg'], ['http://x.test/a.jpg']],
    );
    expect(summary).toMatchObject({ urls: 4, distinctUrls: 2 });
    const urls = manifests.flatMap((m) => m.rows.flatMap((r) => r.urls));
    expect(urls.map((u) => u.dupOf)).toEqual([undefined, undefined, [1, 0], [1, 0]]);
  });

  it('refuses more rows than MAX_CSV_ROWS with 413', async () => {
    const err = (await run(['url'], [['http://x.test/1'], ['http://x.test/2'], ['http://x.test/3']], {
      chunkSize: 10,
      maxRows: 2,
      maxUrls: 10,
    }).catch((e: unknown) => e)) as { status: number; details: unknown };
    expect(err.status).toBe(413);
    expect(err.details).toEqual({ reason: 'too_many_rows', limit_rows: 2 });
  });

  it('refuses a file whose rows have no URL at all', async () => {
    const err = (await run(['url', 'name'], [['', 'x']]).catch((e: unknown) => e)) as ValidationError;
    expect(err.code).toBe('no_urls');
  });
});

describe('results cells', () => {
  it('neutralises spreadsheet formulas but leaves numbers alone', () => {
    expect(safeCell('=HYPERLINK("http://evil")')).toBe(`'=HYPERLINK("http://evil")`);
    expect(safeCell('@SUM(A1)')).toBe(`'@SUM(A1)`);
    expect(safeCell('-5')).toBe('-5');
    expect(safeCell('+3.25')).toBe('+3.25');
    expect(safeCell('plain')).toBe('plain');
  });

  it('says how a row went from its images', () => {
    const img = (status: 'succeeded' | 'failed' | 'pending') => ({
      status,
      rowNumber: 1,
      urlIndex: 0,
      errorCode: null,
      errorMessage: null,
      originalName: null,
      outputs: [],
    });
    expect(rowStatus(0, [])).toBe('no_url');
    expect(rowStatus(2, [img('succeeded'), img('succeeded')])).toBe('succeeded');
    expect(rowStatus(2, [img('succeeded'), img('failed')])).toBe('partial');
    expect(rowStatus(1, [img('failed')])).toBe('failed');
    expect(rowStatus(2, [img('succeeded'), undefined])).toBe('pending');
    expect(rowStatus(1, [img('pending')])).toBe('pending');
  });
});

describe('receiving a CSV stream', () => {
  const stored = new Map<string, Buffer>();
  const store = {
    put: async (key: string, body: Readable | Buffer) => {
      const parts: Buffer[] = [];
      if (Buffer.isBuffer(body)) parts.push(body);
      else for await (const p of body as AsyncIterable<Buffer>) parts.push(p);
      stored.set(key, Buffer.concat(parts));
      return { bytes: stored.get(key)!.length };
    },
  };
  const receive = (chunks: Buffer[]) =>
    receiveCsv(Readable.from(chunks), {
      sink: storeCsv(store),
      batchId: '00000000-0000-4000-8000-000000000002',
      maxBytes: 1024 * 1024,
      limits: { chunkSize: 10, maxRows: 100, maxUrls: 100 },
    });

  it('takes UTF-8 whose characters are split between chunks, and stores the bytes unchanged', async () => {
    const text = Buffer.from('url,name\nhttp://a.test/1.jpg,Caf\u00e9 cr\u00e8me \u{1F600}\n');
    const at = text.indexOf(0xc3) + 1; // inside the two bytes of "é"
    const emoji = text.indexOf(0xf0) + 2; // inside the four bytes of the emoji
    const r = await receive([text.subarray(0, at), text.subarray(at, emoji), text.subarray(emoji)]);
    expect(r).toMatchObject({ rows: 1, urls: 1 });
    expect(stored.get(r.sourceKey)).toEqual(text);
  });

  it('refuses text that is not UTF-8, and a header of absurd width', async () => {
    const latin1 = Buffer.from('url,name\r\nhttp://a.test/1.jpg,Caf\xe9\r\n', 'latin1');
    // The answer points at the bad byte (the é, 33 bytes in), wherever chunks are cut, and past a U+FFFD the file
    // really contains.
    await expect(receive([latin1])).rejects.toMatchObject({
      code: 'not_utf8',
      status: 400,
      details: { near_byte: 33 },
    });
    await expect(receive([latin1.subarray(0, 20), latin1.subarray(20)])).rejects.toMatchObject({
      details: { near_byte: 33 },
    });
    const replacement = Buffer.concat([Buffer.from('url,name\n\uFFFD,'), Buffer.from([0xc3, 0x28])]);
    await expect(receive([replacement])).rejects.toMatchObject({
      message: expect.stringContaining('near byte 13') as unknown,
      details: { near_byte: 13 },
    });
    // A lone lead byte at the very end is a truncated character.
    await expect(receive([Buffer.from('url\nhttp://a.test/1.jpg\n'), Buffer.from([0xe2, 0x82])])).rejects.toMatchObject(
      { code: 'not_utf8' },
    );
    const wide = `url${',c'.repeat(1500)}\nhttp://a.test/1.jpg\n`;
    await expect(receive([Buffer.from(wide)])).rejects.toMatchObject({
      code: 'malformed_csv',
      details: { row: 0, line: 1 },
    });
  });
});
