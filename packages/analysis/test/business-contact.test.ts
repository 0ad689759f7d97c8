import { businessContactIn, contactLine, hasContact } from '../src';

describe('business contact in text', () => {
  it('finds e-mail addresses, international phone numbers and web addresses', () => {
    const text =
      'Bakery & Co\nCall +44 20 7946 0958 or write to Orders@Example.com\nvisit www.example.org, or https://shop.example.net/menu.';
    const c = businessContactIn(text);
    expect(c).toEqual({
      emails: ['orders@example.com'],
      phones: ['+442079460958'],
      urls: ['www.example.org', 'https://shop.example.net/menu'],
    });
    expect(contactLine(c)).toBe('orders@example.com; +442079460958; www.example.org; https://shop.example.net/menu');
    expect(hasContact(c)).toBe(true);
  });

  it('reads national numbers only for the region it is given', () => {
    const text = 'Tel. (415) 555-2671';
    expect(businessContactIn(text).phones).toEqual([]);
    expect(businessContactIn(text, 'US').phones).toEqual(['+14155552671']);
  });

  it('does not take dates, prices or OCR noise for contacts', () => {
    const c = businessContactIn('Open 2024-05-01 09:00 - 18:00\nTotal 1234567.89 EUR\nar ~ | Mg? Stree a(50)');
    expect(hasContact(c)).toBe(false);
    expect(contactLine(c)).toBe('');
  });

  it('lists each contact once', () => {
    const c = businessContactIn('a@example.com a@example.com +44 20 7946 0958 +442079460958');
    expect(c.emails).toEqual(['a@example.com']);
    expect(c.phones).toEqual(['+442079460958']);
  });
});
