/** Loopback-only HTTP servers for tests: every test's traffic stays on 127.0.0.1 / ::1. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type LocalServer = {
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** TCP connections accepted (on every address the server listens on), counted before any HTTP parsing. */
  connections: () => number;
  requests: () => number;
  /** Whether the same port could also be bound on ::1. */
  ipv6: boolean;
  close: () => Promise<void>;
};

/** `address`: another address to listen on instead of loopback (the scale suite's test host, 198.18.0.x). */
export async function startServer(
  handler: http.RequestListener = (_req, res) => res.end('ok'),
  address = '127.0.0.1',
): Promise<LocalServer> {
  let connections = 0;
  let requests = 0;
  const make = () => {
    const s = http.createServer((req, res) => {
      requests++;
      handler(req, res);
    });
    s.on('connection', () => connections++);
    return s;
  };
  const v4 = make();
  await listen(v4, 0, address);
  const port = (v4.address() as AddressInfo).port;
  // Same port on ::1 so that `localhost` and `[::1]` reach this server too if anything let them through.
  const v6 = make();
  const ipv6 =
    address === '127.0.0.1' &&
    (await listen(v6, port, '::1').then(
      () => true,
      () => false,
    ));
  const servers = ipv6 ? [v4, v6] : [v4];
  return {
    port,
    origin: `http://${address}:${port}`,
    connections: () => connections,
    requests: () => requests,
    ipv6,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A server outside every allow-list, on 127.0.0.1 and ::1: any connection it accepts is an SSRF hole. */
export const startTrap = (): Promise<LocalServer> => startServer((_req, res) => res.end('you should not see this'));
