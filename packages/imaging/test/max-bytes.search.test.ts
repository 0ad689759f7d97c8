import { paletteColours, searchSteps } from '../src/encoding';
import { ImageError } from '../src';
import { encodeWithinBytes, type Encoded } from '../src/max-bytes.search';

/** A fake encoder whose output is `size(step)` bytes; records the steps it was asked for. */
function fakeEncoder(size: (step: number | undefined) => number) {
  const calls: (number | undefined)[] = [];
  const encode = async (step: number | undefined): Promise<Encoded> => {
    calls.push(step);
    return { data: Buffer.alloc(size(step)), info: { width: 1, height: 1 } };
  };
  return { calls, encode };
}

describe('encodeWithinBytes', () => {
  const steps = searchSteps('jpeg', 80); // 1..79
  const sizeAt = (step: number | undefined) => (step ?? 80) * 100; // 100 bytes per quality point

  it('returns the asked encode when it fits, after one encode', async () => {
    const f = fakeEncoder(sizeAt);
    const out = await encodeWithinBytes({ format: 'jpeg', maxBytes: 8000, steps, encode: f.encode });
    expect(out.data.length).toBe(8000);
    expect(f.calls).toEqual([undefined]);
  });

  it('finds the highest step that fits in a handful of encodes', async () => {
    const f = fakeEncoder(sizeAt);
    const out = await encodeWithinBytes({ format: 'jpeg', maxBytes: 4250, steps, encode: f.encode });
    expect(out.data.length).toBe(4200); // step 42
    expect(f.calls.length).toBeLessThanOrEqual(1 + Math.ceil(Math.log2(steps.length + 1)));
  });

  it('keeps the best fit seen when sizes are not monotonic', async () => {
    const f = fakeEncoder((step) => (step === undefined ? 9000 : step === 40 ? 900 : step * 100));
    const out = await encodeWithinBytes({ format: 'jpeg', maxBytes: 1000, steps, encode: f.encode });
    expect(out.data.length).toBeLessThanOrEqual(1000);
  });

  it('fails with the asked and the smallest sizes when nothing fits', async () => {
    const f = fakeEncoder(sizeAt);
    const err = await encodeWithinBytes({ format: 'jpeg', maxBytes: 99, steps, encode: f.encode }).catch((e) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect(err.code).toBe('max_bytes_unreachable');
    expect(err.message).toBe(
      'jpeg output cannot fit in 99 bytes: 8000 bytes as asked, 100 bytes at the lowest setting',
    );
    expect(f.calls).toContain(1);
  });
});

describe('searchSteps', () => {
  it('stays below the asked quality for lossy formats', () => {
    expect(searchSteps('jpeg', undefined).at(-1)).toBe(79);
    expect(searchSteps('webp', 30).at(-1)).toBe(29);
    expect(searchSteps('jpeg', 1)).toEqual([]);
  });

  it('searches AVIF on a coarse grid', () => {
    expect(searchSteps('avif', undefined)).toEqual([1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75]);
  });

  it('searches palette sizes for PNG, including 256 colours below lossless', () => {
    expect(searchSteps('png', undefined)).toHaveLength(100);
    expect(searchSteps('png', 50)).toHaveLength(99);
    expect([paletteColours(1), paletteColours(100)]).toEqual([2, 256]);
  });
});
