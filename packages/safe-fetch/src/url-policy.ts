/** The checks a URL passes before any connection: parse, scheme, credentials, literal IPs, and (for validation) DNS. */
import { isIP } from 'node:net';
import { effectivePort, isAllowedHost, parseAllowHosts, stripBrackets, type AllowEntry } from './allow-hosts';
import { classifyAddress } from './classify-address';
import { blockedAddress, dnsError, FetchError } from './fetch-error';
import { defaultLookup, type Lookup } from './lookup';

export type Target = {
  url: URL;
  /** The URL's host as written after normalisation (with port): what error messages name. */
  host: string;
  /** Hostname without IPv6 brackets: what DNS and the connector see. */
  hostname: string;
  port: number;
  allowed: boolean;
};

/**
 * WHATWG URL has already turned `0x7f000001`, `2130706433`, `127.1` and octal forms into `127.0.0.1`, and
 * `[::ffff:127.0.0.1]` into `[::ffff:7f00:1]`, so the literal check below sees the address traffic would go to.
 */
export function checkUrl(input: string | URL, allow: readonly AllowEntry[]): Target {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new FetchError('invalid_url', 'the URL is not valid', { transient: false });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchError('blocked_scheme', `only http and https URLs can be fetched, not ${url.protocol}`, {
      transient: false,
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new FetchError('invalid_url', `URLs with credentials are refused (${url.host})`, { transient: false });
  }
  const hostname = stripBrackets(url.hostname);
  const port = effectivePort(url.protocol, url.port);
  const allowed = isAllowedHost(allow, hostname, port);
  if (!allowed && isIP(hostname) !== 0 && !classifyAddress(hostname).allowed) throw blockedAddress(url.host, 'literal');
  return { url, host: url.host, hostname, port, allowed };
}

/** Validates a URL stored for later (webhook_url): resolves it now. Fetching re-checks at connect time anyway. */
export async function assertFetchableUrl(url: string, o: { allowHosts: string[]; lookup?: Lookup }): Promise<URL> {
  const target = checkUrl(url, parseAllowHosts(o.allowHosts));
  await assertResolvesPublic(target, o.lookup);
  return target.url;
}

/**
 * The DNS half of the policy, for a target `checkUrl` passed: every address its name resolves to must be public.
 * Nothing connects to them. Allowed hosts and IP literals (judged by `checkUrl`) need no lookup.
 */
export async function assertResolvesPublic(
  target: Pick<Target, 'host' | 'hostname' | 'allowed'>,
  lookup: Lookup = defaultLookup,
): Promise<void> {
  if (target.allowed || isIP(target.hostname) !== 0) return;
  let addresses: Awaited<ReturnType<Lookup>>;
  try {
    addresses = await lookup(target.hostname);
  } catch (err) {
    throw dnsError(target.host, err);
  }
  if (addresses.length === 0) throw dnsError(target.host, undefined);
  if (addresses.some((a) => !classifyAddress(a.address).allowed)) throw blockedAddress(target.host, 'resolved');
}
