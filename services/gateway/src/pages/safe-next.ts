// Where to go after signing in: only a path on this site. Anything else (another host, `//host`, `/\host`, a scheme,
// control characters) falls back to the dashboard, so the sign-in page can't be used as an open redirect.
export function safeNext(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > 2000) return '/';
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return '/';
  try {
    const url = new URL(raw, 'http://pixmill.invalid');
    if (url.origin !== 'http://pixmill.invalid') return '/';
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return '/';
  }
}
