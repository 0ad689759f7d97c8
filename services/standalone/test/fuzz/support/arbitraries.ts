// What the intake fuzz suite sends: generated CSV files, multipart bodies, JSON URL lists and recipes, built with
// fast-check so a failure shrinks to a small case and replays from its seed and path.
import fc from 'fast-check';

/** URLs of every shape a sheet may hold: loopback ones (the SSRF guard fails them), junk, and long ones. */
export const urlText = fc.oneof(
  fc.constantFrom(
    'http://127.0.0.1:9/a.jpg',
    'https://images.example/p.png',
    'http://[::1]/x.jpg',
    'ftp://files.example/a.jpg',
    'javascript:alert(1)',
    '',
    ' ',
    '=HYPERLINK("http://x")',
  ),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const cell = fc.oneof(
  { weight: 4, arbitrary: urlText },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('"', '""', '"a"b', 'a\nb', 'a\r\nb', ',', ';', '\t', '\0', '\uFEFF') },
  // A huge cell: past MAX_CSV_BYTES in the suite's settings when repeated enough.
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 70_000 }).map((n) => 'x'.repeat(n)) },
);

const header: fc.Arbitrary<string[]> = fc.oneof(
  fc.constantFrom<string[]>(
    ['url'],
    ['S. No.', 'Product Name', 'Input Image Urls'],
    ['URL', 'name'],
    [' Url ', 'sku', 'price'],
    ['image_url'],
    ['name', 'price'],
  ),
  fc.array(fc.string({ maxLength: 12 }), { minLength: 0, maxLength: 6 }),
);

export type CsvCase = {
  header: string[];
  rows: string[][];
  separator: string;
  lineEnd: string;
  quoting: 'minimal' | 'all' | 'none' | 'broken';
  bom: boolean;
  encoding: 'utf8' | 'latin1' | 'utf16le';
  prefix: readonly number[];
  /** Cut the serialised file to this fraction of its bytes (1: whole). */
  cut: number;
  trailingNewline: boolean;
};

export const csvCase: fc.Arbitrary<CsvCase> = fc.record({
  header,
  rows: fc.array(fc.array(cell, { minLength: 0, maxLength: 5 }), { minLength: 0, maxLength: 12 }),
  separator: fc.constantFrom(',', ',', ',', ';', '\t', '|'),
  lineEnd: fc.constantFrom('\n', '\r\n', '\r', '\n\n'),
  quoting: fc.constantFrom('minimal', 'minimal', 'all', 'none', 'broken'),
  bom: fc.boolean(),
  encoding: fc.constantFrom('utf8', 'utf8', 'utf8', 'latin1', 'utf16le'),
  prefix: fc.oneof(
    { weight: 5, arbitrary: fc.constant<number[]>([]) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) },
    // The magic of a PNG, a ZIP (xlsx) or a PDF in front of the text.
    {
      weight: 1,
      arbitrary: fc.constantFrom([0x89, 0x50, 0x4e, 0x47], [0x50, 0x4b, 0x03, 0x04], [0x25, 0x50, 0x44, 0x46]),
    },
  ),
  cut: fc.oneof(
    { weight: 4, arbitrary: fc.constant(1) },
    { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
  ),
  trailingNewline: fc.boolean(),
});

function quote(value: string, c: CsvCase): string {
  const needs = /[",\r\n;\t|]/.test(value);
  switch (c.quoting) {
    case 'all':
      return `"${value.replaceAll('"', '""')}"`;
    case 'minimal':
      return needs ? `"${value.replaceAll('"', '""')}"` : value;
    case 'none':
      return value;
    case 'broken':
      return `"${value}`; // an opening quote that is never closed
  }
}

export function serialiseCsv(c: CsvCase): Buffer {
  const lines = [c.header, ...c.rows].map((r) => r.map((v) => quote(v, c)).join(c.separator));
  const text = lines.join(c.lineEnd) + (c.trailingNewline ? c.lineEnd : '');
  const body =
    c.encoding === 'utf16le'
      ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
      : Buffer.from(text, c.encoding);
  const whole = Buffer.concat([
    Buffer.from(c.prefix),
    c.bom && c.encoding === 'utf8' ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
    body,
  ]);
  return whole.subarray(0, Math.floor(whole.length * c.cut));
}

/** A small valid CSV, for cutting at every position. */
export const VALID_CSV = Buffer.from(
  '\uFEFFS. No.,Product Name,Input Image Urls\r\n' +
    '1,"Chair, oak","http://127.0.0.1:9/a.jpg,http://127.0.0.1:9/b.jpg"\r\n' +
    '2,Lamp "Luna",http://127.0.0.1:9/c.png\r\n',
);

// ---- multipart ----

const token = fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/);
const boundary = fc.oneof(
  { weight: 4, arbitrary: token },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '"quoted"', '-'.repeat(200), 'a\r\nb') },
);
const fieldName = fc.oneof(
  fc.constantFrom('files[]', 'files[]', 'file', 'image', 'recipe', 'webhook_url', 'batch_name', 'auto_start', 'width'),
  fc.string({ maxLength: 20 }),
);
const fileName = fc.oneof(
  fc.constantFrom(
    'a.jpg',
    'in.csv',
    '../../etc/passwd',
    'a\r\nX-Injected: 1.jpg',
    'naïve 東京.png',
    '',
    '"q".jpg',
    '.',
  ),
  fc.string({ maxLength: 300 }),
);

export type PartCase = {
  name: string;
  fileName: string | null;
  contentType: string | null;
  extraHeader: string | null;
  disposition: 'normal' | 'missing' | 'garbled' | 'star';
  content: 'jpeg' | 'png' | 'csv' | 'random' | 'text' | 'recipe';
  random: number[];
  text: string;
};

const part: fc.Arbitrary<PartCase> = fc.record({
  name: fieldName,
  fileName: fc.option(fileName, { nil: null }),
  contentType: fc.option(
    fc.oneof(
      fc.constantFrom(
        'image/jpeg',
        'image/png',
        'text/csv',
        'application/octet-stream',
        'application/json',
        'image/svg+xml',
      ),
      fc.string({ maxLength: 30 }),
    ),
    { nil: null },
  ),
  extraHeader: fc.option(
    fc.oneof(
      fc.constantFrom('Content-Transfer-Encoding: base64', 'Content-Length: 99999999'),
      fc.string({ maxLength: 40 }),
    ),
    { nil: null },
  ),
  disposition: fc.constantFrom('normal', 'normal', 'normal', 'missing', 'garbled', 'star'),
  content: fc.constantFrom('jpeg', 'png', 'csv', 'random', 'text', 'recipe'),
  random: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 2000 }),
  text: fc.string({ maxLength: 200 }),
});

export type MultipartCase = {
  route: '/api/v1/batches' | '/api/v1/resize' | '/api/upload';
  boundary: string;
  /** The boundary the Content-Type header names (usually the same). */
  headerBoundary: 'same' | 'other' | 'none' | 'quoted';
  preamble: string;
  parts: PartCase[];
  closed: boolean;
  epilogue: string;
  /** Cut the body to this fraction of its bytes (1: whole). */
  cut: number;
  lineEnd: '\r\n' | '\n';
};

export const multipartCase: fc.Arbitrary<MultipartCase> = fc.record({
  route: fc.constantFrom('/api/v1/batches', '/api/v1/batches', '/api/v1/resize', '/api/upload'),
  boundary,
  headerBoundary: fc.constantFrom('same', 'same', 'same', 'other', 'none', 'quoted'),
  preamble: fc.oneof(fc.constant(''), fc.string({ maxLength: 40 })),
  parts: fc.array(part, { minLength: 0, maxLength: 4 }),
  closed: fc.boolean(),
  epilogue: fc.oneof(fc.constant(''), fc.string({ maxLength: 40 })),
  cut: fc.oneof(
    { weight: 3, arbitrary: fc.constant(1) },
    { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
  ),
  lineEnd: fc.constantFrom('\r\n', '\r\n', '\r\n', '\n'),
});

export function serialiseMultipart(
  c: MultipartCase,
  samples: { jpeg: Buffer; png: Buffer },
): { body: Buffer; contentType: string } {
  const nl = c.lineEnd;
  const chunks: Buffer[] = [];
  if (c.preamble) chunks.push(Buffer.from(`${c.preamble}${nl}`));
  for (const p of c.parts) {
    chunks.push(Buffer.from(`--${c.boundary}${nl}`));
    const file = p.fileName === null ? '' : `; filename="${p.fileName}"`;
    if (p.disposition === 'normal')
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${p.name}"${file}${nl}`));
    if (p.disposition === 'garbled')
      chunks.push(Buffer.from(`Content-Disposition: form-data; name=${p.name}${file};;${nl}`));
    if (p.disposition === 'star')
      chunks.push(
        Buffer.from(
          `Content-Disposition: form-data; name="${p.name}"; filename*=UTF-8''${encodeURIComponent(p.fileName ?? 'x')}${nl}`,
        ),
      );
    if (p.contentType !== null) chunks.push(Buffer.from(`Content-Type: ${p.contentType}${nl}`));
    if (p.extraHeader !== null) chunks.push(Buffer.from(`${p.extraHeader}${nl}`));
    chunks.push(Buffer.from(nl));
    const content = {
      jpeg: samples.jpeg,
      png: samples.png,
      csv: Buffer.from(`url${nl}http://127.0.0.1:9/a.jpg${nl}`),
      random: Buffer.from(p.random),
      text: Buffer.from(p.text),
      recipe: Buffer.from(JSON.stringify({ variants: [{ name: 'thumb', width: 32, format: 'webp' }] })),
    }[p.content];
    chunks.push(content, Buffer.from(nl));
  }
  if (c.closed) chunks.push(Buffer.from(`--${c.boundary}--${nl}`));
  if (c.epilogue) chunks.push(Buffer.from(c.epilogue));
  const whole = Buffer.concat(chunks);
  const named = { same: c.boundary, other: `${c.boundary}x`, none: '', quoted: `"${c.boundary}"` }[c.headerBoundary];
  return {
    body: whole.subarray(0, Math.floor(whole.length * c.cut)),
    // A header value cannot hold CR, LF or NUL (Node's client refuses to send them): the body keeps them.
    contentType: named ? `multipart/form-data; boundary=${named.replace(/[\r\n\0]/g, '')}` : 'multipart/form-data',
  };
}

// ---- JSON URL lists and recipes ----

const variant = fc.record(
  {
    name: fc.oneof(fc.constantFrom('thumb', 'web', 'a'.repeat(200), '../x', ''), fc.string({ maxLength: 20 })),
    width: fc.oneof(fc.integer({ min: -10, max: 20_000 }), fc.constant(0), fc.double(), fc.string({ maxLength: 5 })),
    height: fc.oneof(fc.integer({ min: -10, max: 20_000 }), fc.constant(null)),
    fit: fc.oneof(fc.constantFrom('cover', 'contain', 'inside', 'outside', 'fill'), fc.string({ maxLength: 8 })),
    position: fc.constantFrom('centre', 'attention', 'entropy', 'middle'),
    format: fc.oneof(fc.constantFrom('jpeg', 'png', 'webp', 'avif', 'original', 'gif'), fc.string({ maxLength: 6 })),
    quality: fc.oneof(fc.integer({ min: -5, max: 120 }), fc.double()),
    max_bytes: fc.integer({ min: -1, max: 10_000_000 }),
    strip_metadata: fc.oneof(fc.boolean(), fc.string({ maxLength: 4 })),
  },
  { requiredKeys: [] },
);

export const recipe = fc.oneof(
  { weight: 4, arbitrary: fc.record({ variants: fc.array(variant, { minLength: 0, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);

export const urlList = fc.oneof(
  { weight: 4, arbitrary: fc.record({ urls: fc.array(urlText, { maxLength: 30 }) }, { requiredKeys: ['urls'] }) },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        urls: fc.array(urlText, { maxLength: 10 }),
        recipe,
        webhook_url: urlText,
        batch_name: fc.string({ maxLength: 300 }),
        auto_start: fc.oneof(fc.boolean(), fc.string({ maxLength: 5 })),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 5 }) },
);
