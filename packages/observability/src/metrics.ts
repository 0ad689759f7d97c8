import { collectDefaultMetrics, Counter, Histogram, Gauge, Registry } from 'prom-client';

export { Counter, Histogram, Gauge, Registry };

/** One registry per process, with process metrics (RSS, event loop lag, GC) collected by default. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'pixmill_' });
  return registry;
}

/** Returns the metric of that name in the registry, creating it on first use (several modules share a registry). */
export function metric<T extends Counter | Histogram | Gauge>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}
