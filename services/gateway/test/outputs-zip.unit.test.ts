// The outputs ZIP holds back when the client does: with a destination that stops taking data, it stops opening
// objects in storage (so memory stays about one entry whatever the batch); names stay safe and unique; an object gone
// from storage is listed, not silently left out.
import { Readable, Writable } from 'node:stream';
import { ObjectNotFoundError } from '@pixmill/storage';
import { imageBaseName, UniqueNames } from '../src/batches/outputs/entry-names';
import { MISSING_ENTRY, writeOutputsZip, type ZipImage } from '../src/batches/outputs/outputs-zip';

const OUTPUT_BYTES = 64 * 1024;

function images(n: number): { pulled: { n: number }; it: AsyncIterable<ZipImage> } {
  const pulled = { n: 0 };
  const it = (async function* () {
    for (let i = 0; i < n; i++) {
      pulled.n++;
      yield {
        id: `id-${i}`,
        originalName: `photo-${i}.jpg`,
        sourceUrl: null,
        outputs: [{ variant: 'web', storageKey: `outputs/b/${i}/web.jpg`, format: 'jpeg' }],
      };
    }
  })();
  return { pulled, it };
}

/** A store whose objects are OUTPUT_BYTES of noise; counts the objects opened. */
function store(missing = new Set<string>()) {
  const opened = { n: 0 };
  return {
    opened,
    get: async (key: string) => {
      if (missing.has(key)) throw new ObjectNotFoundError(key);
      opened.n++;
      return Readable.from([Buffer.alloc(OUTPUT_BYTES, opened.n % 251)]);
    },
  };
}

describe('outputs ZIP to a client that stops reading', () => {
  it('stops opening outputs once the destination is full', async () => {
    const { pulled, it } = images(5_000);
    const s = store();
    let received = 0;
    const dest = new Writable({
      write(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        if (received < 1024 * 1024) cb(); // then never again: a client that stopped reading
      },
    });
    const writing = writeOutputsZip(it, s, dest).catch((err: unknown) => err);
    let last = -1;
    while (s.opened.n !== last) {
      last = s.opened.n;
      await new Promise((r) => setTimeout(r, 100));
    }
    // What it opened is what fits between storage and the client (a few entries), not the batch.
    expect(received).toBeGreaterThanOrEqual(1024 * 1024);
    expect(s.opened.n).toBeLessThan(40);
    expect(pulled.n).toBeLessThan(250); // one page of images from the database, not every page
    dest.destroy();
    expect(await writing).toBeInstanceOf(Error);
  });

  it('lists an output gone from storage in its own entry', async () => {
    const { it } = images(3);
    const chunks: Buffer[] = [];
    const dest = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
    const outcome = await writeOutputsZip(it, store(new Set(['outputs/b/1/web.jpg'])), dest);
    expect(outcome).toEqual({ entries: 2, missing: ['photo-1/web.jpg'] });
    expect(Buffer.concat(chunks).includes(Buffer.from(MISSING_ENTRY))).toBe(true);
  });
});

describe('outputs ZIP entry names', () => {
  const img = (originalName: string | null, sourceUrl: string | null = null) => ({
    id: 'the-id',
    originalName,
    sourceUrl,
  });

  it('drops paths, extensions, dot-segments and characters file systems refuse', () => {
    expect(imageBaseName(img('../../etc/passwd.jpg'))).toBe('passwd');
    expect(imageBaseName(img('C:\\Users\\me\\cat.png'))).toBe('cat');
    expect(imageBaseName(img('..'))).toBe('the-id');
    expect(imageBaseName(img('a<b>:c?.webp'))).toBe('a_b_c_');
    expect(imageBaseName(img('new\nline.jpg'))).toBe('new_line');
    expect(imageBaseName(img(null, 'https://shop.example/p/Red%20Shoe.jpg?w=1'))).toBe('Red Shoe');
    expect(imageBaseName(img(null, 'https://shop.example/'))).toBe('the-id');
  });

  it('numbers a name given before, ignoring case', () => {
    const names = new UniqueNames();
    expect(['Dune', 'dune', 'Dune', 'Dune-2'].map((n) => names.claim(n))).toEqual([
      'Dune',
      'dune-2',
      'Dune-3',
      'Dune-2-2',
    ]);
  });
});
