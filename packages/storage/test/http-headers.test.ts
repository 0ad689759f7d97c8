import { contentDisposition } from '../src';
import { assertContentType } from '../src/http-headers';

describe('contentDisposition', () => {
  it.each([
    [undefined, 'attachment'],
    ['', 'attachment'],
    ['\r\n', 'attachment'],
    ['photo.jpg', 'attachment; filename="photo.jpg"'],
    ['a "quoted" name.png', `attachment; filename="a _quoted_ name.png"; filename*=UTF-8''a%20%22quoted%22%20name.png`],
    ['back\\slash/and/slash.png', 'attachment; filename="back_slash_and_slash.png"'],
    ['100%.png', `attachment; filename="100_.png"; filename*=UTF-8''100%25.png`],
    ['résumé.pdf', `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`],
    ["it's (1).png", `attachment; filename="it's (1).png"`],
    ['x\r\nSet-Cookie: a=b', 'attachment; filename="xSet-Cookie: a=b"'],
    ['\u202egnp.exe', 'attachment; filename="gnp.exe"'],
  ])('%j -> %s', (name, header) => {
    expect(contentDisposition(name)).toBe(header);
  });

  it('never throws and stays one short line, whatever the name', () => {
    const nasty = '\ud800' + '\u0000'.repeat(5) + '名'.repeat(1000);
    const header = contentDisposition(nasty);
    // eslint-disable-next-line no-control-regex -- looking for control characters
    expect(header).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(header.length).toBeLessThan(2500);
  });
});

describe('assertContentType', () => {
  it('accepts media types with parameters and refuses anything that could break a header', () => {
    for (const ok of [
      'image/png',
      'text/csv; charset=utf-8',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ]) {
      expect(() => assertContentType(ok)).not.toThrow();
    }
    for (const bad of ['', 'png', 'text/html\r\nX-Evil: 1', 'text/plain; charset="a\nb"', 'a/b c']) {
      expect(() => assertContentType(bad)).toThrow('invalid content type');
    }
  });
});
