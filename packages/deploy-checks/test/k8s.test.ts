// k8s/ against the schemas and against the code: images, commands, ports, probe paths, env names, queue names,
// grace periods.
import { readdirSync } from 'node:fs';
import { loadSettings, settingsShape } from '@pixmill/config';
import { mainQueue } from '@pixmill/queue';
import { shutdownDeadlineMs } from '@pixmill/runtime';
import {
  BUNDLE_FILE,
  DEPLOYED_NODE_OPTIONS,
  RUNTIME_ENV,
  byKind,
  commandFileExists,
  consumedKind,
  deployableServices,
  entryFile,
  gatewayHealthPaths,
  isWorker,
  loadKustomization,
  loadManifests,
  repoPath,
  validateObject,
  workerHealthPaths,
  type K8sObject,
  type LoadedObject,
} from '../src';

type Probe = { httpGet?: { path: string; port: string | number }; tcpSocket?: { port: string | number } };
type Container = {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
};
type PodSpec = {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean };
};
type Deployment = K8sObject & {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
};
type ScaledObject = K8sObject & {
  spec: {
    scaleTargetRef: { name: string };
    triggers: { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[];
  };
};

const manifests: LoadedObject[] = loadManifests();
const objects = manifests.map((m) => m.object);
const services = deployableServices();
const settingNames = new Set(Object.keys(settingsShape));

const deploymentOf = (service: string): Deployment => {
  const d = byKind<Deployment>(manifests, 'Deployment').find((x) => x.metadata.name === `pixmill-${service}`);
  if (!d) throw new Error(`no Deployment pixmill-${service}`);
  return d;
};
const containerOf = (service: string): Container => deploymentOf(service).spec.template.spec.containers[0] as Container;
const configMap = byKind(manifests, 'ConfigMap').find((c) => c.metadata.name === 'pixmill-config');
const secret = byKind(manifests, 'Secret').find((c) => c.metadata.name === 'pixmill-secrets');

/** The environment a container gets: ConfigMap and Secret, then its own env (secret refs resolved). */
function containerEnv(c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, configMap?.data ?? {});
    if (from.secretRef) Object.assign(env, secret?.stringData ?? {});
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    env[e.name] = ref ? String(secret?.stringData?.[ref.key] ?? '') : String(e.value ?? '');
  }
  return env;
}

describe('k8s manifests', () => {
  it('lists every file of k8s/ in the kustomization, and only existing ones', () => {
    const files = readdirSync(repoPath('k8s')).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...loadKustomization().resources].sort()).toEqual(files.sort());
  });

  it.each(manifests.map((m) => [`${m.file}: ${m.object.kind} ${m.object.metadata?.name}`, m.object] as const))(
    '%s passes schema validation',
    (_name, object) => {
      expect(() => validateObject(object)).not.toThrow();
    },
  );

  it('the validator catches a broken object (so a pass means something)', () => {
    const d = structuredClone(deploymentOf('gateway'));
    (d.spec.template.spec.containers[0] as unknown as { ports: unknown }).ports = [{ containerPort: 'http' }];
    expect(() => validateObject(d)).toThrow(/containerPort/);
    const s = structuredClone(byKind<ScaledObject>(manifests, 'ScaledObject')[0] as ScaledObject);
    delete (s.spec as Partial<ScaledObject['spec']>).scaleTargetRef;
    expect(() => validateObject(s)).toThrow(/scaleTargetRef/);
  });

  it('has one Deployment per service, running its image and its bundle', () => {
    const images = new Set((loadKustomization().images ?? []).map((i) => i.name));
    for (const service of services) {
      const c = containerOf(service);
      expect(c.image).toBe(`pixmill/${service}`);
      expect(images.has(c.image)).toBe(true);
      const file = entryFile(c.command ?? []);
      expect(file).toBe(BUNDLE_FILE);
      expect(commandFileExists(service, file as string)).toBe(true);
    }
    expect(
      byKind<Deployment>(manifests, 'Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(services.map((s) => `pixmill-${s}`).sort());
  });

  it('uses only setting names the code reads, and the configuration they give loads', () => {
    for (const key of Object.keys(configMap?.data ?? {})) expect(settingNames).toContain(key);
    for (const key of Object.keys(secret?.stringData ?? {})) expect(settingNames).toContain(key);
    for (const service of services) {
      const c = containerOf(service);
      for (const e of c.env ?? []) if (!RUNTIME_ENV.includes(e.name)) expect(settingNames).toContain(e.name);
      const env = containerEnv(c);
      // Each service alone needs a database and a broker; workers also need S3.
      expect(env.DATABASE_URL).toBeTruthy();
      expect(env.AMQP_URL).toBeTruthy();
      expect(env.S3_BUCKET).toBeTruthy();
      expect(() => loadSettings(env)).not.toThrow();
      // pixmill's own default is loopback only, which kubelet probes and the Service cannot reach.
      expect({ service, host: loadSettings(env).HOST }).toEqual({ service, host: '0.0.0.0' });
    }
  });

  it('gives each service the V8 flags of DEPLOYED_NODE_OPTIONS, and no others', () => {
    for (const service of services) {
      const value = containerOf(service).env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
      expect({ service, value }).toEqual({ service, value: DEPLOYED_NODE_OPTIONS[service] });
    }
  });

  it('exposes the port each service listens on and probes paths the code serves', () => {
    const workerPaths = workerHealthPaths();
    for (const service of services) {
      const c = containerOf(service);
      const settings = loadSettings(containerEnv(c));
      const portName = isWorker(service) ? 'health' : 'http';
      const port = c.ports?.find((p) => p.name === portName);
      expect({ service, port: port?.containerPort }).toEqual({
        service,
        port: isWorker(service) ? settings.HEALTH_PORT : settings.PORT,
      });
      const served = isWorker(service) ? workerPaths : gatewayHealthPaths();
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        expect(probe).toBeDefined();
        // HTTP probes only: an open socket says nothing of a process whose event loop is stuck.
        expect(probe?.tcpSocket).toBeUndefined();
        expect(probe?.httpGet?.port).toBe(portName);
        expect(served).toContain(probe?.httpGet?.path);
      }
      // Readiness looks at the dependencies; liveness does not (an outage must not restart them all).
      expect(c.readinessProbe?.httpGet?.path).toMatch(/^\/(healthz|readyz)$/);
      expect(c.livenessProbe?.httpGet?.path).toBe('/livez');
    }
  });

  it('routes each Service to a named port of its pods', () => {
    for (const svc of byKind<
      K8sObject & { spec: { selector: Record<string, string>; ports: { targetPort: string }[] } }
    >(manifests, 'Service')) {
      const d = byKind<Deployment>(manifests, 'Deployment').find((x) =>
        Object.entries(svc.spec.selector).every(([k, v]) => x.spec.template.metadata.labels[k] === v),
      );
      expect(d).toBeDefined();
      const names = (d as Deployment).spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name));
      for (const p of svc.spec.ports) expect(names).toContain(p.targetPort);
    }
  });

  it('gives each pod longer to stop than the service takes to drain', () => {
    for (const service of services) {
      const d = deploymentOf(service);
      const c = containerOf(service);
      const settings = loadSettings(containerEnv(c));
      const preStop = c.lifecycle?.preStop?.exec?.command;
      const preStopMs = preStop?.[0] === 'sleep' ? Number(preStop[1]) * 1000 : 0;
      const drainMs = isWorker(service) ? shutdownDeadlineMs(service, settings) : 25_000;
      expect((d.spec.template.spec.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(preStopMs + drainMs);
    }
  });

  it('sets requests and limits, and runs as non-root on a read-only root file system', () => {
    const pods = [
      ...byKind<Deployment>(manifests, 'Deployment').map((d) => d.spec.template.spec),
      ...byKind<K8sObject & { spec: { template: { spec: PodSpec } } }>(manifests, 'Job').map(
        (j) => j.spec.template.spec,
      ),
    ];
    for (const pod of pods) {
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      for (const c of pod.containers) {
        expect(c.resources?.requests?.cpu).toBeDefined();
        expect(c.resources?.requests?.memory).toBeDefined();
        expect(c.resources?.limits?.memory).toBeDefined();
        expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      }
    }
  });

  it('scales each worker with KEDA on the queue it consumes, and the gateway with an HPA', () => {
    const prefix = loadSettings(configMap?.data ?? {}).QUEUE_PREFIX;
    const scaled = byKind<ScaledObject>(manifests, 'ScaledObject');
    const auths = byKind(manifests, 'TriggerAuthentication') as (K8sObject & {
      spec: { secretTargetRef: { parameter: string; name: string; key: string }[] };
    })[];
    for (const service of services.filter(isWorker)) {
      const so = scaled.find((s) => s.spec.scaleTargetRef.name === `pixmill-${service}`);
      expect(so).toBeDefined();
      const trigger = so?.spec.triggers.find((t) => t.type === 'rabbitmq');
      expect(trigger?.metadata.queueName).toBe(mainQueue(prefix, consumedKind(service)));
      expect(trigger?.metadata.mode).toBe('QueueLength');
      const auth = auths.find((a) => a.metadata.name === trigger?.authenticationRef?.name);
      const host = auth?.spec.secretTargetRef.find((r) => r.parameter === 'host');
      expect(host).toMatchObject({ name: 'pixmill-secrets', key: 'AMQP_URL' });
      // KEDA owns the replica count: a fixed one would be reset on every apply.
      expect(deploymentOf(service).spec.replicas).toBeUndefined();
    }
    const hpas = byKind<K8sObject & { spec: { scaleTargetRef: { kind: string; name: string } } }>(
      manifests,
      'HorizontalPodAutoscaler',
    );
    expect(hpas.map((h) => h.spec.scaleTargetRef)).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'pixmill-gateway' },
    ]);
  });

  it('has a disruption budget selecting each Deployment', () => {
    const pdbs = byKind<K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } }>(
      manifests,
      'PodDisruptionBudget',
    );
    for (const service of services) {
      const labels = deploymentOf(service).spec.template.metadata.labels;
      const pdb = pdbs.find((p) => Object.entries(p.spec.selector.matchLabels).every(([k, v]) => labels[k] === v));
      expect({ service, pdb: pdb?.metadata.name }).toEqual({ service, pdb: `pixmill-${service}` });
    }
  });

  it('migrates with a Job running the migration command shipped in the gateway image', () => {
    const [job] = byKind<K8sObject & { spec: { template: { spec: PodSpec } } }>(manifests, 'Job');
    const c = job?.spec.template.spec.containers[0] as Container;
    expect(c.image).toBe('pixmill/gateway');
    const file = entryFile(c.command ?? []);
    expect(file).toBe('node_modules/@pixmill/db/src/migrate.cli.ts');
    expect(commandFileExists('gateway', file as string)).toBe(true);
    expect(Object.keys(containerEnv(c))).toEqual(['DATABASE_URL']);
  });

  it('keeps no real secret in the Secret template', () => {
    const notSecret = new Set(['ADMIN_USERNAME']);
    for (const [key, value] of Object.entries(secret?.stringData ?? {})) {
      if (notSecret.has(key) || value === '') continue;
      expect({ key, placeholder: /REPLACE_ME/.test(value) }).toEqual({ key, placeholder: true });
    }
  });

  it('puts every object in one namespace through the kustomization', () => {
    expect(loadKustomization().namespace).toBe('pixmill');
    expect(objects.filter((o) => o.metadata.namespace !== undefined)).toEqual([]);
  });
});
