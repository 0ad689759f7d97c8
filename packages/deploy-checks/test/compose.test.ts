// docker-compose.yml and .env.example against the Compose schema and against the code.
import { loadSettings, settingsShape } from '@pixmill/config';
import { shutdownDeadlineMs } from '@pixmill/runtime';
import {
  BUNDLE_FILE,
  DEPLOYED_NODE_OPTIONS,
  RUNTIME_ENV,
  commandFileExists,
  composeSchemaErrors,
  deployableServices,
  entryFile,
  gatewayHealthPaths,
  interpolateCompose,
  isWorker,
  loadComposeRaw,
  loadEnvExample,
  workerHealthPaths,
  type ComposeService,
} from '../src';

const raw = loadComposeRaw();
const envExample = loadEnvExample();
// .env.example leaves the secrets empty for the operator to fill in; stand-ins play that part here.
const filledIn = Object.fromEntries(
  Object.entries(envExample).map(([k, v]) => [
    k,
    v === '' && /PASSWORD|SECRET/.test(k) ? `stand-in-${k}-0123456789abcdef0123456789` : v,
  ]),
);
const { file: compose, referenced, required } = interpolateCompose(raw, filledIn);
const services = deployableServices();
const settingNames = new Set(Object.keys(settingsShape));
const svc = (name: string): ComposeService => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
const durationMs = (d: string | undefined): number => {
  const m = /^(\d+)(ms|s|m)$/.exec(d ?? '10s');
  if (!m) throw new Error(`unexpected duration ${d}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
};

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    expect(composeSchemaErrors(compose)).toEqual([]);
  });

  it('the schema check catches a broken file (so a pass means something)', () => {
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    (broken.services.gateway as Record<string, unknown>).ports = [{ published: 'eighty' }];
    (broken.services.resize as Record<string, unknown>).restart_policy = 'always';
    expect(composeSchemaErrors(broken).length).toBeGreaterThan(0);
  });

  it('runs the infrastructure: PostgreSQL, RabbitMQ with management, MinIO and its bucket, a one-shot migration', () => {
    expect(svc('postgres').image).toMatch(/^postgres:/);
    expect(svc('rabbitmq').image).toMatch(/^rabbitmq:.*management/);
    expect(svc('minio').image).toMatch(/minio\/minio:/);
    expect((svc('minio-init').command ?? []).join(' ')).toMatch(/mc mb --ignore-existing "local\/\$S3_BUCKET"/);
    for (const name of ['postgres', 'rabbitmq', 'minio']) expect(svc(name).healthcheck).toBeDefined();
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(['minio-data', 'postgres-data', 'rabbitmq-data']);
  });

  it('builds each service from the Dockerfile with its SERVICE and runs its bundle', () => {
    for (const service of services) {
      const s = svc(service);
      expect(s.image).toBe(`pixmill/${service}:latest`);
      expect(s.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile', args: { SERVICE: service } });
      const file = entryFile(s.command ?? []);
      expect(file).toBe(BUNDLE_FILE);
      expect(commandFileExists(service, file as string)).toBe(true);
      expect(s.depends_on).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
        'minio-init': { condition: 'service_completed_successfully' },
        rabbitmq: { condition: 'service_healthy' },
      });
    }
  });

  it('migrates with the command shipped in the gateway image', () => {
    const m = svc('migrate');
    expect(m.image).toBe(svc('gateway').image);
    expect(m.build?.args).toEqual({ SERVICE: 'gateway' });
    const file = entryFile(m.command ?? []);
    expect(commandFileExists('gateway', file as string)).toBe(true);
    expect(m.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
  });

  it('passes only setting names the code reads, every one of them, and they load', () => {
    const fixedByContainer = new Set(['PORT', 'HEALTH_PORT', 'DATA_DIR']);
    const testRunsOnly = new Set(['RESPONSE_CHECK_DIR']);
    for (const service of services) {
      const env = svc(service).environment ?? {};
      for (const key of Object.keys(env)) if (!RUNTIME_ENV.includes(key)) expect(settingNames).toContain(key);
      for (const key of settingNames)
        if (!fixedByContainer.has(key) && !testRunsOnly.has(key)) expect(Object.keys(env)).toContain(key);
      const settings = loadSettings(env);
      expect(new URL(settings.DATABASE_URL ?? '').hostname).toBe('postgres');
      expect(new URL(settings.AMQP_URL ?? '').hostname).toBe('rabbitmq');
      expect(new URL(settings.S3_ENDPOINT ?? '').hostname).toBe('minio');
      expect(settings.S3_BUCKET).toBe(svc('minio-init').environment?.S3_BUCKET);
      expect(settings.S3_ACCESS_KEY_ID).toBe(svc('minio').environment?.MINIO_ROOT_USER);
      // pixmill's own default is loopback only, which a container's published port cannot reach.
      expect({ service, host: settings.HOST }).toEqual({ service, host: '0.0.0.0' });
    }
  });

  it('gives each service the V8 flags of DEPLOYED_NODE_OPTIONS, and no others', () => {
    for (const service of services) {
      const value = svc(service).environment?.NODE_OPTIONS;
      expect({ service, value }).toEqual({ service, value: DEPLOYED_NODE_OPTIONS[service] });
    }
  });

  it('health-checks each service on the port and a path it serves', () => {
    for (const service of services) {
      const s = svc(service);
      const settings = loadSettings(s.environment ?? {});
      const url = /fetch\('([^']+)'\)/.exec((s.healthcheck?.test ?? []).join(' '))?.[1];
      expect(url).toBeDefined();
      const u = new URL(url as string);
      expect(Number(u.port)).toBe(isWorker(service) ? settings.HEALTH_PORT : settings.PORT);
      expect(isWorker(service) ? workerHealthPaths() : gatewayHealthPaths()).toContain(u.pathname);
    }
  });

  it('gives each service longer to stop than it takes to drain', () => {
    for (const service of services) {
      const s = svc(service);
      const drainMs = isWorker(service) ? shutdownDeadlineMs(service, loadSettings(s.environment ?? {})) : 25_000;
      expect({ service, enough: durationMs(s.stop_grace_period) > drainMs }).toEqual({ service, enough: true });
    }
  });

  it('lets resize scale (`--scale resize=N`): no fixed container name or host port', () => {
    expect(svc('resize').container_name).toBeUndefined();
    expect(svc('resize').ports).toBeUndefined();
  });
});

describe('.env.example', () => {
  it('defines every variable docker-compose.yml requires', () => {
    for (const name of required) expect(Object.keys(envExample)).toContain(name);
  });

  it('holds only pixmill settings or variables docker-compose.yml reads', () => {
    for (const key of Object.keys(envExample)) {
      expect({ key, known: settingNames.has(key) || referenced.has(key) }).toEqual({ key, known: true });
    }
  });

  it('keeps the secrets empty', () => {
    for (const [key, value] of Object.entries(envExample))
      if (/PASSWORD|SECRET/.test(key)) expect({ key, value }).toEqual({ key, value: '' });
  });
});
