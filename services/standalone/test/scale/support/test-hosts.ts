// The scale suite's hosts: one network namespace per host, each with one veth (`eth0`) into a switch namespace
// holding a bridge, and one veth from this process's namespace into it (198.18.0.1: the test runner, the S3 server,
// the image server and the webhook receiver). Every address is on 198.18.0.0/24 (RFC 2544's benchmarking range),
// no namespace has a default route, and this namespace gets an `unreachable` route for the range under the link's,
// so nothing sent to a test host ever leaves the machine, not even while its link is down or after the run.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SUBNET = '198.18.0.0/24';
export const RUNNER_IP = '198.18.0.1';
const OWNERS = '/run/pixmill-scale';

export type HostName = string;

export type TestHosts = {
  /** `pxs<id>`: the prefix of every namespace and root-side link of this run. */
  id: string;
  ip(host: HostName): string;
  /** The namespace a host's processes run in (`ip netns exec <ns> ...`). */
  netns(host: HostName): string;
  /** Takes a host's only link down (its processes keep running, cut off) or brings it back. */
  setLink(host: HostName, up: boolean): Promise<void>;
  /** Kills every process left in the namespaces, then removes them (and with them every link); idempotent. */
  destroy(): Promise<void>;
};

async function ip(...args: string[]): Promise<string> {
  try {
    return (await run('ip', args, { timeout: 20_000 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

async function namespaces(): Promise<string[]> {
  const out = await ip('netns', 'list');
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function removeRun(id: string): Promise<void> {
  const mine = (await namespaces()).filter((n) => n.startsWith(`${id}-`));
  // Processes first: a namespace whose processes live on would keep its links (and addresses) alive.
  for (const ns of mine) {
    const pids = (await ip('netns', 'pids', ns).catch(() => '')).split('\n').filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const ns of mine) await ip('netns', 'delete', ns).catch(() => undefined);
  await rm(`${OWNERS}/${id}`, { force: true });
}

/** Removes the namespaces of earlier runs whose test process died without cleaning up (jest killed by a timeout). */
async function reapLeftovers(): Promise<void> {
  if (!existsSync(OWNERS)) return;
  for (const id of await readdir(OWNERS)) {
    const owner = Number(await readFile(`${OWNERS}/${id}`, 'utf8').catch(() => 'NaN'));
    if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
      throw new Error(`another scale run (pid ${owner}) holds the test hosts ${id}-*; 198.18.0.0/24 serves one run`);
    }
    await removeRun(id);
  }
}

/**
 * Makes the hosts (name → last octet, 2–254). Fails, naming the command, when namespaces cannot be made (not root,
 * no iproute2, no CAP_NET_ADMIN): the suite must not pass without its network.
 */
export async function createTestHosts(hosts: Record<HostName, number>): Promise<TestHosts> {
  await reapLeftovers();
  const id = `pxs${process.pid.toString(36).slice(-4)}`;
  await mkdir(OWNERS, { recursive: true });
  await writeFile(`${OWNERS}/${id}`, String(process.pid));
  const sw = `${id}-sw`;
  const netns = (h: HostName) => `${id}-${h}`;
  const address = (h: HostName) => {
    const octet = hosts[h];
    if (octet === undefined) throw new Error(`no test host ${h}`);
    return `198.18.0.${octet}`;
  };
  const destroy = async () => {
    await removeRun(id);
    await ip('route', 'del', 'unreachable', SUBNET, 'metric', '4000').catch(() => undefined);
  };
  try {
    await ip('route', 'replace', 'unreachable', SUBNET, 'metric', '4000');
    await ip('netns', 'add', sw);
    await ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', sw, 'link', 'set', 'br0', 'up');
    const plug = async (peer: string, ns: string | undefined, addr: string) => {
      const local = ns ? `${id}t` : id;
      await ip('link', 'add', local, 'type', 'veth', 'peer', 'name', peer, 'netns', sw);
      if (ns) {
        await ip('link', 'set', local, 'netns', ns);
        await ip('-n', ns, 'link', 'set', local, 'name', 'eth0');
        await ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
        await ip('-n', ns, 'link', 'set', 'eth0', 'up');
        await ip('-n', ns, 'link', 'set', 'lo', 'up');
      } else {
        await ip('addr', 'add', `${addr}/24`, 'dev', local);
        await ip('link', 'set', local, 'up');
      }
      await ip('-n', sw, 'link', 'set', peer, 'master', 'br0', 'up');
    };
    await plug('runner', undefined, RUNNER_IP);
    for (const h of Object.keys(hosts)) {
      await ip('netns', 'add', netns(h));
      await plug(h, netns(h), address(h));
    }
  } catch (err) {
    await destroy();
    throw new Error(`the scale suite cannot make its test hosts (network namespaces, as root): ${String(err)}`);
  }
  return {
    id,
    ip: address,
    netns,
    setLink: (h, up) => ip('-n', netns(h), 'link', 'set', 'eth0', up ? 'up' : 'down').then(() => undefined),
    destroy,
  };
}
