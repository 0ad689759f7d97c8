// The Grafana dashboard queries only metrics the services really register, with labels they really have.
import { createRegistry, pipelineMetrics, type Registry } from '@pixmill/observability';
import { instrumentTransport, registerOutboxMetrics } from '@pixmill/runtime';
import type { Transport } from '@pixmill/queue';
import { httpMetrics } from '@pixmill/gateway/testing';
import { readRepoFile } from '../src';

type Panel = { type: string; title: string; targets?: { expr: string }[]; datasource?: { uid: string } };
const dashboard = JSON.parse(readRepoFile('infra/grafana/pixmill-dashboard.json')) as {
  uid: string;
  panels: Panel[];
  __inputs: { name: string }[];
};

/** Every metric a pixmill process registers, with its label names (never collected: nothing here is called). */
function registeredMetrics(): Map<string, { type: string; labels: Set<string> }> {
  const registry: Registry = createRegistry('dashboard-check');
  pipelineMetrics(registry);
  httpMetrics(registry);
  const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used')) });
  const log = { debug: () => undefined } as never;
  instrumentTransport(unused as Transport, { registry, prisma: unused as never, log });
  registerOutboxMetrics({ registry, prisma: unused as never, log });
  const out = new Map<string, { type: string; labels: Set<string> }>();
  for (const m of registry.getMetricsAsArray() as unknown as { name: string; type: string; labelNames?: string[] }[]) {
    out.set(m.name, { type: String(m.type), labels: new Set([...(m.labelNames ?? []), 'service']) });
  }
  return out;
}

const known = registeredMetrics();
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

describe('Grafana dashboard', () => {
  it('has panels with queries, on an importable data source', () => {
    expect(queries.length).toBeGreaterThanOrEqual(10);
    expect(dashboard.__inputs.map((i) => i.name)).toEqual(['DS_PROMETHEUS']);
    for (const p of dashboard.panels.filter((x) => x.type !== 'row'))
      // eslint-disable-next-line no-template-curly-in-string -- Grafana's own input variable
      expect(p.datasource?.uid).toBe('${DS_PROMETHEUS}');
  });

  it.each(queries.map((q) => [q.panel, q.expr] as const))(
    '"%s" queries registered metrics and labels',
    (_panel, expr) => {
      const names = [...expr.matchAll(/\b(pixmill_[a-z0-9_]+)/g)].map((m) => m[1] as string);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        const m = known.get(name) ?? known.get(base);
        expect({ name, registered: m !== undefined }).toEqual({ name, registered: true });
        if (name !== base && !known.has(name)) expect(m?.type).toBe('histogram');
        // Labels used in selectors and in by (...) must be the metric's (le for buckets; namespace comes from Prometheus).
        const used = [
          ...[...expr.matchAll(/\{([^}]*)\}/g)].flatMap((s) =>
            [...(s[1] as string).matchAll(/([a-z_]+)\s*=~?/g)].map((l) => l[1]),
          ),
          ...[...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((b) => (b[1] as string).split(',').map((x) => x.trim())),
        ];
        for (const label of used) {
          if (label === 'namespace' || label === 'le') continue;
          expect({ name, label, known: m?.labels.has(label as string) }).toEqual({ name, label, known: true });
        }
      }
    },
  );

  it('covers every stage, the queues, the outbox and webhooks', () => {
    const all = queries.map((q) => q.expr).join('\n');
    for (const name of [
      'pixmill_http_request_duration_seconds',
      'pixmill_stage_duration_seconds',
      'pixmill_stage_bytes',
      'pixmill_images_total',
      'pixmill_queue_consume_lag_seconds',
      'pixmill_queue_depth_messages',
      'pixmill_outbox_backlog_messages',
      'pixmill_webhook_attempts_total',
    ]) {
      expect(all).toContain(name);
    }
  });
});
