/** Decides whether an IP address is on the public internet; everything else is refused. */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type AddressClass = { allowed: boolean; range: string };

/**
 * Only public unicast is allowed, so `allowed` is true exactly when `range` is 'unicast'.
 * Addresses that carry an IPv4 address (v4-mapped, v4-translated, NAT64, 6to4) are judged by that IPv4 address,
 * because traffic to them ends up there; a refusal names both, e.g. 'ipv4Mapped:loopback'.
 */
export function classifyAddress(ip: string): AddressClass {
  // net.isIP is strict (dotted quad or RFC 4291 text); ipaddr alone would also take '0x7f.1'-style shorthands.
  const bare = (ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip).split('%')[0] ?? '';
  const version = isIP(bare);
  if (version === 4) return classifyV4(ipaddr.IPv4.parse(bare));
  if (version === 6) return classifyV6(ipaddr.IPv6.parse(canonicalV6(bare)));
  return { allowed: false, range: 'invalid' };
}

// ipaddr reads '::10.0.0.1' as '::ffff:10.0.0.1'; the WHATWG serialiser writes pure hex ('::a00:1'), which ipaddr reads right.
function canonicalV6(text: string): string {
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

function classifyV4(addr: ipaddr.IPv4): AddressClass {
  const range = addr.range();
  return { allowed: range === 'unicast', range };
}

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

function classifyV6(addr: ipaddr.IPv6): AddressClass {
  const range = addr.range();
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return embedded(range, v4At(addr, 12));
    case 'rfc6052':
      // Only the well-known NAT64 prefix 64:ff9b::/96 maps to public IPv4; the local-use 64:ff9b:1::/48 is a private network.
      if (addr.parts[2] !== 0) return { allowed: false, range };
      return embedded(range, v4At(addr, 12));
    case '6to4':
      return embedded(range, v4At(addr, 2));
    case 'unicast':
      // ipaddr calls anything unlisted 'unicast'; only 2000::/3 is allocated as global unicast (IPv4-compatible ::a.b.c.d is not).
      return addr.match(GLOBAL_UNICAST_V6) ? { allowed: true, range } : { allowed: false, range: 'reserved' };
    default:
      return { allowed: false, range };
  }
}

function v4At(addr: ipaddr.IPv6, byteOffset: number): ipaddr.IPv4 {
  const b = addr.toByteArray();
  return new ipaddr.IPv4(b.slice(byteOffset, byteOffset + 4));
}

function embedded(outer: string, inner: ipaddr.IPv4): AddressClass {
  const v4 = classifyV4(inner);
  return v4.allowed ? v4 : { allowed: false, range: `${outer}:${v4.range}` };
}
