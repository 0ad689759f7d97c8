import { isIPv6 } from 'node:net';
import { loadSettings, publicUrl, type Settings } from '@pixmill/config';
import { startAnalyzeWorker } from '@pixmill/analyze';
import { ensureAdmin, resolveJwtSecret, serveGateway } from '@pixmill/gateway';
import { startIngestWorker } from '@pixmill/ingest';
import { startNotifierWorker } from '@pixmill/notifier';
import { startResizeWorker } from '@pixmill/resize';
import { buildClients, deriveDownloadSecret } from '@pixmill/runtime';
import { recoverOpenWork } from './recover-open-work';

export type AllInOne = Awaited<ReturnType<typeof startAllInOne>>;

export async function startAllInOne(settings: Settings = loadSettings(), o: { quiet?: boolean } = {}) {
  // Single process: a generated secret kept in DATA_DIR is fine here, whatever the database.
  const jwtSecret = resolveJwtSecret(settings, { embedded: true });
  const clients = await buildClients(settings, {
    service: 'pixmill',
    allowEmbedded: true,
    applyMigrations: true,
    downloadSigningSecret: deriveDownloadSecret(jwtSecret),
  });
  const { log } = clients;
  try {
    const admin = await ensureAdmin(clients.prisma, settings);
    // RabbitMQ keeps its messages across restarts; the in-process queue does not.
    if (!settings.AMQP_URL) await recoverOpenWork(clients.prisma, log);
    const workers = [
      await startIngestWorker(clients),
      await startResizeWorker(clients),
      await startAnalyzeWorker(clients),
      await startNotifierWorker(clients, { resultsLinkSecret: jwtSecret }),
    ];
    const { server, host, port, stopBackground } = await serveGateway(clients, { jwtSecret });
    const url = settings.PUBLIC_URL ? publicUrl(settings) : `http://localhost:${port}`;
    if (!o.quiet) {
      console.log(`pixmill is listening on ${bindBanner(host, port)}`);
      console.log(`  open ${url}/ for the dashboard (API under ${url}/api/v1, docs at ${url}/docs)`);
      console.log(
        `  database: ${settings.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded, in ${settings.DATA_DIR}`}` +
          ` · queue: ${settings.AMQP_URL ? 'RabbitMQ (AMQP_URL)' : 'in-process'}` +
          ` · storage: ${settings.S3_BUCKET ? `S3 bucket ${settings.S3_BUCKET}` : `local disk, in ${settings.DATA_DIR}`}`,
      );
      if (admin?.generatedPassword) {
        console.log(`  created admin user "${admin.username}" with password: ${admin.generatedPassword}  (shown once)`);
      }
    }
    return {
      log,
      port,
      url,
      clients,
      stop: async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        clients.releaseHeldJobs();
        for (const w of workers) await w.stop();
        await stopBackground();
        await clients.close();
      },
    };
  } catch (err) {
    await clients.close();
    throw err;
  }
}

/** Where the server really listens, and what that means for who can reach it. */
function bindBanner(host: string, port: number): string {
  const hostPort = `${isIPv6(host) ? `[${host}]` : host}:${port}`;
  if (host === '0.0.0.0' || host === '::') return `${hostPort} (every interface: other machines can reach it)`;
  const loopback = host === '::1' || host.startsWith('127.');
  return `http://${hostPort}${loopback ? ' (this machine only; set HOST=0.0.0.0 to accept other machines)' : ''}`;
}
