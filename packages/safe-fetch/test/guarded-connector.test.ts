import type { Socket } from 'node:net';
import { parseAllowHosts } from '../src/allow-hosts';
import { FetchError } from '../src';
import { createGuardedConnector } from '../src/guarded-connector';
import { startServer, type LocalServer } from '../src/testing';

/** The connector on its own: the last line of defence, whatever URL checks ran (or did not) before it. */
describe('guarded connector', () => {
  let trap: LocalServer;
  let friend: LocalServer;
  beforeAll(async () => {
    trap = await startServer();
    friend = await startServer();
  });
  afterAll(async () => {
    await trap.close();
    await friend.close();
  });

  const connect = (c: ReturnType<typeof createGuardedConnector>, hostname: string, port: number) =>
    new Promise<Socket>((resolve, reject) => {
      c({ hostname, host: hostname, protocol: 'http:', port: String(port) }, (err, socket) =>
        err ? reject(err) : resolve(socket as Socket),
      );
    });

  const lookupTo127 = async () => [{ address: '127.0.0.1', family: 4 as const }];

  it.each(['127.0.0.1', '::1', '::ffff:7f00:1', 'localhost-alias'])(
    'refuses to open a socket to %s',
    async (hostname) => {
      const c = createGuardedConnector({ allow: parseAllowHosts([]), lookup: lookupTo127, connectTimeoutMs: 5_000 });
      const err = await connect(c, hostname, trap.port).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FetchError);
      expect((err as FetchError).code).toBe('blocked_address');
      expect(trap.connections()).toBe(0);
    },
  );

  it('opens a socket to an allowed host:port, and only that port', async () => {
    const c = createGuardedConnector({
      allow: parseAllowHosts([`loopback-alias:${friend.port}`]),
      lookup: lookupTo127,
      connectTimeoutMs: 5_000,
    });
    const socket = await connect(c, 'loopback-alias', friend.port);
    socket.destroy();
    const err = await connect(c, 'loopback-alias', trap.port).catch((e: unknown) => e);
    expect((err as FetchError).code).toBe('blocked_address');
    // Proves the counters count: the allowed server saw the connection, the trap did not.
    await new Promise((r) => setImmediate(r));
    expect(friend.connections()).toBe(1);
    expect(trap.connections()).toBe(0);
  });
});
