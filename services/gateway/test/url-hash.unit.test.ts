import { urlHash } from '../src/batches/url-intake/url-hash';

describe('urlHash', () => {
  it('is a safe integer that the same URL always gives', () => {
    const url = 'https://images.example.com/products/123.jpg?w=400';
    expect(Number.isSafeInteger(urlHash(url))).toBe(true);
    expect(urlHash(url)).toBe(urlHash(`${url}`.slice(0)));
  });

  it('tells apart 200,000 URLs that differ by one character or by their order', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      seen.add(urlHash(`https://cdn.example.com/img/${i}.jpg`));
      seen.add(urlHash(`https://cdn.example.com/img/${String(i).split('').reverse().join('')}x.jpg`));
    }
    expect(seen.size).toBe(200_000);
    expect(urlHash('http://a/ab')).not.toBe(urlHash('http://a/ba'));
  });
});
