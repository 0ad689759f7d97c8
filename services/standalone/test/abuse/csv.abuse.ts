// Hostile CSV files: not text, absurd shapes, broken quoting, wrong encodings, files over the limits, and formula
// cells that must come out of exports as text. Each is refused with a 400/413 naming the problem (and the row
// where there is one), or, for formulas, neutralised; the service stays healthy.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { parseCsv } from '../support/csv';
import { startUrlServer, type UrlServer } from '../support/url-server';
import { jsonError } from './support/cases';
import { startAbuse, type Abuse, type Auth } from './support/harness';
import { readData } from '@pixmill/gateway/testing';

const fromGateway = createRequire(require.resolve('@pixmill/gateway/package.json'));
// exceljs is the gateway's dependency, not this package's: borrowed, with the few calls used here typed.
type XlsxCell = { type: number; value: unknown };
type XlsxRow = { eachCell(f: (cell: XlsxCell) => void): void };
type XlsxSheet = { eachRow(f: (row: XlsxRow) => void): void };
const ExcelJS = fromGateway('exceljs') as {
  Workbook: new () => { xlsx: { load(data: Buffer): Promise<unknown> }; eachSheet(f: (s: XlsxSheet) => void): void };
  ValueType: { Formula: number };
};

const MAX_ROWS = 50;
const MAX_CSV_BYTES = 20 * 1024 * 1024;
const FORMULA = /^[=+\-@\t\r]/;

let a: Abuse;
let alice: Auth;
let srv: UrlServer;

beforeAll(async () => {
  srv = await startUrlServer();
  a = await startAbuse('csv', {
    FETCH_ALLOW_HOSTS: `127.0.0.1:${srv.port}`,
    MAX_CSV_ROWS: String(MAX_ROWS),
    MAX_CSV_BYTES: String(MAX_CSV_BYTES),
  });
  alice = await a.p.userAuth('alice');
});
afterAll(async () => {
  await a?.close();
  await srv?.close();
});

const csvCase = (name: string, expected: string, csv: () => Buffer | string) =>
  it(name, async () => {
    await a.cases.check(name, expected, async () => jsonError(await a.postCsv(alice, csv())));
  });

describe('files that are not CSV text', () => {
  csvCase('binary junk (random bytes)', '400 not_a_csv', () =>
    Buffer.concat([Buffer.from([0]), randomBytes(64 * 1024)]),
  );
  csvCase('a PNG uploaded as the CSV', '400 not_a_csv', () =>
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]),
  );
  csvCase('an .xlsx (ZIP) uploaded as the CSV', '400 not_a_csv', () =>
    Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), randomBytes(200)]),
  );
  csvCase('UTF-16LE with BOM', '400 not_a_csv', () =>
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`url\r\n${srv.origin}/img/a-10x10.jpg\r\n`, 'utf16le')]),
  );
  csvCase('UTF-16LE without BOM', '400 not_a_csv', () => Buffer.from(`url\r\nhttp://x.example/a.jpg\r\n`, 'utf16le'));
  csvCase('Latin-1 (ISO-8859-1) bytes that are not UTF-8', '400 not_utf8', () =>
    Buffer.from(`url,name\r\n${srv.origin}/img/l-10x10.jpg,Caf\xe9 cr\xe8me br\xfbl\xe9e\r\n`, 'latin1'),
  );
});

describe('absurd shapes', () => {
  csvCase(
    '1,000,000 columns in a data row',
    '400 malformed_csv',
    () => `url\nhttp://x.example/a.jpg${',x'.repeat(1_000_000)}\n`,
  );
  csvCase(
    '1,000,000 columns in the header',
    '400 malformed_csv',
    () => `url${',c'.repeat(1_000_000)}\nhttp://x.example/a.jpg\n`,
  );
  csvCase(
    'a 10 MB single cell',
    '400 malformed_csv',
    () => `url,note\nhttp://x.example/a.jpg,${'A'.repeat(10 * 1024 * 1024)}\n`,
  );
  csvCase(
    'a 10 MB quoted cell with newlines',
    '400 malformed_csv',
    () => `url,note\nhttp://x.example/a.jpg,"${'line\n'.repeat(2 * 1024 * 1024)}"\n`,
  );
  csvCase(
    'unterminated quote',
    '400 malformed_csv',
    () => `url,note\nhttp://x.example/a.jpg,"never closed\nhttp://x.example/b.jpg,ok\n`,
  );
  csvCase(
    'more fields than the header',
    '400 malformed_csv',
    () => `url\nhttp://x.example/a.jpg,http://x.example/b.jpg\n`,
  );
  csvCase('empty file', '400 empty_csv', () => '');
  csvCase('header only', '400 no_urls', () => 'url\n');
  csvCase('no URL column', '400 missing_url_column', () => 'name,price\nshirt,10\n');
  csvCase(`${MAX_ROWS + 1} rows, limit ${MAX_ROWS}`, '413 payload_too_large', () =>
    ['url', ...Array.from({ length: MAX_ROWS + 1 }, (_, i) => `http://x.example/${i}.jpg`)].join('\n'),
  );
  csvCase(
    '1,001 URLs in one product cell',
    '400 too_many_urls_in_cell',
    () =>
      `S. No.,Product Name,Input Image Urls\n1,x,"${Array.from({ length: 1001 }, (_, i) => `http://x.example/${i}.jpg`).join(', ')}"\n`,
  );
  csvCase(
    `a CSV over the ${MAX_CSV_BYTES / 2 ** 20} MiB limit`,
    '413 payload_too_large',
    () => `url\n${`http://x.example/${'a'.repeat(100)}.jpg\n`.repeat(Math.ceil((MAX_CSV_BYTES + 1024) / 120))}`,
  );
});

describe('formula cells', () => {
  const formulas = ['=HYPERLINK("http://evil.example","click")', '+SUM(1,2)', "-2+3+cmd|' /C calc'!A0", '@SUM(A1)'];
  let batchId: string;

  beforeAll(async () => {
    // Formulas everywhere a stranger's text reaches an export: the batch name, URL cells (which fail as invalid),
    // and other input columns.
    const rows = formulas.map((f, i) => `"${f.replaceAll('"', '""')}","${f.replaceAll('"', '""')}",${i}`);
    const csv = ['url,product,n', `${srv.origin}/img/f-32x32.jpg,"=1+1",9`, ...rows].join('\n');
    const res = await a.postCsv(alice, csv, { batch_name: "=cmd|'/C calc'!A0" });
    if (res.status !== 202) throw new Error(`formula batch: ${res.status} ${await res.text()}`);
    batchId = ((await readData(res)) as { batch_id: string }).batch_id;
    await a.p.waitForBatch(alice, batchId);
  });

  /** Cells that would run as formulas in a spreadsheet, and how many formula-like values were seen at all. */
  const audit = (cells: string[]) => {
    const raw = cells.filter((c) => FORMULA.test(c));
    const neutralised = cells.filter((c) => c.startsWith("'") && FORMULA.test(c.slice(1)));
    return `${raw.length} live formulas, ${neutralised.length > 0 ? 'some' : 'no'} neutralised cells`;
  };

  it('are neutralised in the CSV export', async () => {
    await a.cases.check('formula cells in the CSV export', '0 live formulas, some neutralised cells', async () => {
      const res = await a.p.api(`/api/v1/export/batch/${batchId}?format=csv&metadata=true`, { auth: alice });
      if (res.status !== 200) return jsonError(res);
      return audit(parseCsv((await res.text()).replace(/^\ufeff/, '')).flat());
    });
  });

  it('are neutralised in the XLSX export', async () => {
    await a.cases.check('formula cells in the XLSX export', '0 live formulas, some neutralised cells', async () => {
      const res = await a.p.api(`/api/v1/export/batch/${batchId}?format=xlsx&metadata=true`, { auth: alice });
      if (res.status !== 200) return jsonError(res);
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(Buffer.from(await res.arrayBuffer()));
      const cells: string[] = [];
      let formulaCells = 0;
      book.eachSheet((sheet) =>
        sheet.eachRow((row) =>
          row.eachCell((cell) => {
            if (cell.type === ExcelJS.ValueType.Formula) formulaCells++;
            if (typeof cell.value === 'string') cells.push(cell.value);
          }),
        ),
      );
      return formulaCells > 0 ? `${formulaCells} formula cells` : audit(cells);
    });
  });

  it('are neutralised in the results CSV', async () => {
    await a.cases.check('formula cells in the results CSV', '0 live formulas, some neutralised cells', async () => {
      const res = await a.p.api(`/api/v1/batches/${batchId}/results.csv`, { auth: alice });
      if (res.status !== 200) return jsonError(res);
      return audit(parseCsv(await res.text()).flat());
    });
  });
});
