import {
  asFailureCode,
  batchPrefixes,
  chunkManifestKey,
  failureCategory,
  IMAGE_FAILURE_CODES,
  inputCsvKey,
  isUuid,
  originalKey,
  outputKey,
  rebaseKey,
} from '../src';

const B = '0b9d1c2e-1111-4222-8333-444455556666';

describe('storage layout', () => {
  it('puts every key of a batch under one of its prefixes', () => {
    const keys = [
      originalKey(B, 'i1', 'jpg'),
      outputKey(B, 'i1', 'thumb', 'webp'),
      inputCsvKey(B),
      chunkManifestKey(B, 7),
    ];
    expect(keys).toEqual([
      `originals/${B}/i1.jpg`,
      `outputs/${B}/i1/thumb.webp`,
      `uploads/${B}/input.csv`,
      `uploads/${B}/chunks/000007.json`,
    ]);
    for (const key of keys) expect(batchPrefixes(B).some((p) => key.startsWith(p))).toBe(true);
    expect(batchPrefixes(B).every((p) => p.endsWith(`/${B}/`))).toBe(true);
  });

  it('rebases a key onto another batch and leaves foreign keys alone', () => {
    expect(rebaseKey(`originals/${B}/x.jpg`, 'originals', B, 'n')).toBe('originals/n/x.jpg');
    expect(rebaseKey(`outputs/${B}/i/v.webp`, 'outputs', `${B}/i`, 'n/j')).toBe('outputs/n/j/v.webp');
    expect(rebaseKey(`originals/${B}0/x.jpg`, 'originals', B, 'n')).toBe(`originals/${B}0/x.jpg`);
  });
});

describe('image failure codes', () => {
  it('knows every code the workers store and the http_<status> ones, and nothing else', () => {
    for (const code of IMAGE_FAILURE_CODES) expect(asFailureCode(code)).toBe(code);
    expect(asFailureCode('http_404')).toBe('http_404');
    expect(asFailureCode('http_4040')).toBeNull();
    expect(asFailureCode('something_old')).toBeNull();
  });

  it('groups codes into categories, a timeout by whether the original was fetched', () => {
    expect(failureCategory('http_503', false)).toBe('http');
    expect(failureCategory('blocked_address', false)).toBe('blocked');
    expect(failureCategory('timeout', false)).toBe('network');
    expect(failureCategory('timeout', true)).toBe('processing');
    expect(failureCategory('pixel_limit', true)).toBe('too_large');
    expect(failureCategory(null, true)).toBe('other');
  });
});

describe('ids', () => {
  it('accepts uuids of any version and case, nothing else', () => {
    expect(isUuid(B)).toBe(true);
    expect(isUuid(B.toUpperCase())).toBe(true);
    expect(isUuid(`${B}x`)).toBe(false);
    expect(isUuid('../x')).toBe(false);
  });
});
