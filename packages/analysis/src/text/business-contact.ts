// business_contact: the e-mail addresses, phone numbers and web addresses in a text (OCR output, so forgiving).
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js/max';
import { LinkifyIt } from 'linkify-it';
import type { BusinessContact } from '@pixmill/contracts';

const MAX_EACH = 20;
const linkify = new LinkifyIt({ fuzzyEmail: true, fuzzyLink: true, fuzzyIP: false });

const unique = (values: string[]) => [...new Set(values)].slice(0, MAX_EACH);

/**
 * `region`: the country whose national formats (no +prefix) count as phone numbers (`ANALYSIS_PHONE_REGION`);
 * without it only international numbers are found. Numbers are checked against libphonenumber's full metadata,
 * so a run of digits that is no valid number (a date, a price) is not taken for one.
 */
export function businessContactIn(text: string, region?: string): BusinessContact {
  const emails: string[] = [];
  const urls: string[] = [];
  for (const m of linkify.match(text) ?? []) {
    if (m.schema === 'mailto:') emails.push(m.url.replace(/^mailto:/i, '').toLowerCase());
    else if (m.schema === '' || m.schema === 'http:' || m.schema === 'https:') urls.push(m.raw.replace(/[.,;:]+$/, ''));
  }
  const phones = findPhoneNumbersInText(text, region ? { defaultCountry: region as CountryCode } : undefined)
    .filter((found) => found.number.isValid())
    .map((found) => found.number.number);
  return { emails: unique(emails), phones: unique(phones), urls: unique(urls) };
}

/** Seed 002's one-string form: every contact found, separated by "; ". Empty when there is none. */
export const contactLine = (c: BusinessContact): string => [...c.emails, ...c.phones, ...c.urls].join('; ');
export const hasContact = (c: BusinessContact): boolean => c.emails.length + c.phones.length + c.urls.length > 0;
