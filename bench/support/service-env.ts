// The environment every benchmark gives the pixmill services it starts: the test database, the machine's RabbitMQ
// under queue names of the run's own, the in-process S3 server, a fresh JWT secret; quiet logs.
import { randomBytes } from 'node:crypto';

const BENCH_ADMIN_PASSWORD = 'bench-admin-password';

export function benchServiceEnv(o: {
  databaseUrl: string;
  s3: { endpoint: string; bucket: string };
  queuePrefix: string;
  adminPassword?: string;
}) {
  return {
    DATABASE_URL: o.databaseUrl,
    AMQP_URL: process.env.TEST_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
    QUEUE_PREFIX: o.queuePrefix,
    S3_ENDPOINT: o.s3.endpoint,
    S3_BUCKET: o.s3.bucket,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
    JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_PASSWORD: o.adminPassword ?? BENCH_ADMIN_PASSWORD,
    LOG_LEVEL: 'warn',
  };
}
