/** DNS resolution, injectable so tests can point names at private addresses without sending them any traffic. */
import { promises as dns } from 'node:dns';

export type Lookup = (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>;

export const defaultLookup: Lookup = async (hostname) => {
  const answers = await dns.lookup(hostname, { all: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};
