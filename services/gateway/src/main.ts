// The gateway on its own (one replica of a deployment): external PostgreSQL and RabbitMQ are required, S3 when
// S3_BUCKET is set (local disk otherwise). Bad configuration exits with a message naming the setting.
import { loadSettings } from '@pixmill/config';
import { buildClients, deriveDownloadSecret, runService } from '@pixmill/runtime';
import { ensureAdmin, resolveJwtSecret } from './auth/bootstrap';
import { serveGateway } from './serve';

void runService('gateway', async () => {
  const settings = loadSettings();
  // Replicas must share one secret, so none is generated here.
  const jwtSecret = resolveJwtSecret(settings, { embedded: false });
  const clients = await buildClients(settings, {
    service: 'gateway',
    allowEmbedded: false,
    downloadSigningSecret: deriveDownloadSecret(jwtSecret),
  });
  const { log } = clients;
  try {
    const admin = await ensureAdmin(clients.prisma, settings);
    if (admin?.generatedPassword) {
      // On stdout rather than in the JSON log, which is usually shipped elsewhere; printed only when created.
      console.log(`created admin user "${admin.username}" with password: ${admin.generatedPassword}  (shown once)`);
    } else if (admin) {
      log.info({ username: admin.username }, 'created admin user from ADMIN_USERNAME / ADMIN_PASSWORD');
    }

    const { server, host, port, stopBackground } = await serveGateway(clients, { jwtSecret });
    log.info({ host, port }, 'gateway listening');
    return {
      log,
      stop: async () => {
        // Stop accepting, let requests in flight finish (runService bounds the wait), then close the clients.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
        await stopBackground();
        await clients.close();
      },
    };
  } catch (err) {
    await clients.close();
    throw err;
  }
});
