import { assertSafeKey, assertSafePrefix, InvalidKeyError } from '../src';

describe('assertSafeKey', () => {
  it.each([
    'outputs/6f1c/2a9b/thumb.webp',
    'originals/b/i.png',
    'exports/date=2026-01-01/report_v2.csv',
    'a/.hidden',
    'a/...',
    'x'.repeat(200),
  ])('accepts %s', (key) => {
    expect(() => assertSafeKey(key)).not.toThrow();
  });

  it.each([
    ['', 'empty'],
    ['..', "'..' path segment"],
    ['a/../b', "'..' path segment"],
    ['a/..', "'..' path segment"],
    ['./a', "'.' path segment"],
    ['/a', 'starts with /'],
    ['a//b', 'empty path segment'],
    ['a/', 'empty path segment'],
    ['a\\b', 'backslash'],
    ['a\0b', 'NUL'],
    ['a\nb', 'only A-Z'],
    ['a%2F..', 'only A-Z'],
    ['ü', 'only A-Z'],
    ['x'.repeat(1025), 'longer than 1024 bytes'],
    ['x'.repeat(201), 'longer than 200 bytes'],
  ])('refuses %j (%s)', (key, reason) => {
    expect(() => assertSafeKey(key)).toThrow(InvalidKeyError);
    expect(() => assertSafeKey(key)).toThrow(reason);
  });

  it('shows at most 100 characters of a refused key, escaped', () => {
    const err = (() => {
      try {
        assertSafeKey(`bad\r\n${'y'.repeat(2000)}`);
      } catch (e) {
        return e as InvalidKeyError;
      }
    })();
    expect(err?.message).not.toMatch(/[\r\n]/);
    expect(err?.message.length).toBeLessThan(200);
  });
});

describe('assertSafePrefix', () => {
  it('accepts a safe key followed by a slash and nothing else', () => {
    expect(() => assertSafePrefix('outputs/b1/')).not.toThrow();
    for (const bad of ['outputs/b1', '/', '', '../', 'a//', 'a/../'])
      expect(() => assertSafePrefix(bad)).toThrow(InvalidKeyError);
  });
});
