// The gateway's running parts, as its own process (main.ts) and the all-in-one both run them: the outbox relay,
// housekeeping, the rate-limit stores and the HTTP server. Each caller closes the server its own way.
import type { Server } from 'node:http';
import { startRelay, type Clients } from '@pixmill/runtime';
import { startHousekeeping } from './admin/housekeeping';
import { createApp } from './app';
import { createRateLimitStores } from './http/rate-limit-store';

export type ServedGateway = {
  server: Server;
  /** The address it listens on (HOST, as the system reports it: `127.0.0.1`, `::`...). */
  host: string;
  /** The port it listens on (PORT, or the one the system chose for PORT=0). */
  port: number;
  /** Stops the relay, housekeeping and rate-limit stores; call once the server is closed. */
  stopBackground(): Promise<void>;
};

export async function serveGateway(clients: Clients, o: { jwtSecret: string }): Promise<ServedGateway> {
  const { settings, log } = clients;
  const relay = startRelay(clients);
  const housekeeping = startHousekeeping(clients);
  const rateLimits = createRateLimitStores(settings, log);
  const stopBackground = async () => {
    await relay.stop();
    await housekeeping.stop();
    await rateLimits.close();
  };
  try {
    const app = createApp({ ...clients, jwtSecret: o.jwtSecret, rateLimits });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(settings.PORT, settings.HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    const address = server.address();
    const bound = typeof address === 'object' && address ? address : { address: settings.HOST, port: settings.PORT };
    return { server, host: bound.address, port: bound.port, stopBackground };
  } catch (err) {
    await stopBackground();
    throw err;
  }
}
