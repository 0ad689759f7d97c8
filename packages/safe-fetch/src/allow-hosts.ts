/** The operator's exceptions: `host` or `host:port` entries that may be reached although they are private or loopback. */

export type AllowEntry = { hostname: string; port?: number };

/** Entries are normalised the way WHATWG URL normalises a URL's host, so `LOCALHOST` or `[::1]:8080` match as expected. */
export function parseAllowHosts(entries: readonly string[]): AllowEntry[] {
  return entries
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map(parseEntry);
}

function parseEntry(entry: string): AllowEntry {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  // A bare IPv6 address ('::1') has no port: its colons are the address's own.
  const parts =
    bracketed ?? (entry.split(':').length > 2 ? [entry, entry, undefined] : /^([^:]+)(?::(\d+))?$/.exec(entry));
  const host = parts?.[1];
  if (host === undefined) throw new TypeError(`allowHosts entry "${entry}" is not host or host:port`);
  const isV6 = bracketed !== null || host.includes(':');
  let hostname: string;
  try {
    hostname = stripBrackets(new URL(`http://${isV6 ? `[${host}]` : host}/`).hostname);
  } catch {
    throw new TypeError(`allowHosts entry "${entry}" is not a valid host`);
  }
  const portText = parts?.[2];
  if (portText === undefined) return { hostname };
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new TypeError(`allowHosts entry "${entry}" has a bad port`);
  return { hostname, port };
}

export function isAllowedHost(list: readonly AllowEntry[], hostname: string, port: number): boolean {
  return list.some((e) => e.hostname === hostname && (e.port === undefined || e.port === port));
}

export function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** A URL's port, with the scheme's default filled in (WHATWG URL leaves `port` empty for 80/443). */
export function effectivePort(protocol: string, port: string): number {
  if (port !== '') return Number(port);
  return protocol === 'https:' ? 443 : 80;
}
