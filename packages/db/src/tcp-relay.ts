// Test helper: a loopback TCP relay in front of a real server (PostgreSQL, Redis), to take it away from a client and
// give it back without touching the server: `pause` refuses new connections and cuts the open ones, `resume` listens
// again on the same port.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export type TcpRelay = {
  /** 127.0.0.1 port clients connect to (the same after pause/resume). */
  port: number;
  /** `url` with its host replaced by the relay's. */
  urlFor(url: string): string;
  /** Client connections it relays right now. */
  clients(): number;
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
};

export async function startTcpRelay(
  target: { host: string; port: number },
  o: { paused?: boolean } = {},
): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  let clients = 0;
  const server = net.createServer((client) => {
    clients++;
    client.once('close', () => clients--);
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      sockets.forEach((s) => s.destroy());
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  let listening = true;
  if (o.paused) {
    await stop();
    listening = false;
  }
  return {
    port,
    urlFor(url) {
      const u = new URL(url);
      u.host = `127.0.0.1:${port}`;
      return u.toString();
    },
    clients: () => clients,
    async pause() {
      if (!listening) return;
      listening = false;
      await stop();
    },
    async resume() {
      if (listening) return;
      listening = true;
      await listen(port);
    },
    async close() {
      if (!listening) return;
      listening = false;
      await stop();
    },
  };
}
