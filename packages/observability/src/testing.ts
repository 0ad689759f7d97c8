// @pixmill/observability/testing: reading Prometheus' text exposition format back, for tests that scrape /metrics.

export type Sample = { name: string; labels: Record<string, string>; value: number };

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample of a scrape, in order. Throws on a line that is not valid exposition format. */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    }
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/**
 * The sum of the samples named `name` whose labels include `labels` (undefined when none matches), e.g.
 * `sampleValue(s, 'pixmill_stage_duration_seconds_count', { stage: 'process' })`.
 */
export function sampleValue(
  samples: Sample[] | string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const list = typeof samples === 'string' ? parseMetrics(samples) : samples;
  const matching = list.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return matching.length === 0 ? undefined : matching.reduce((sum, s) => sum + s.value, 0);
}
