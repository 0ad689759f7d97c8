// `/system/status`: each dependency's health, queue depths, workers seen, and images finished and failed a minute
// over the last hour (what the database already records), refreshed every ten seconds.
import { useEffect } from 'preact/hooks';
import { pixmill } from '../api/pixmill';
import type { QueueDepth } from '../api/types';
import { BarChart } from '../components/bar-chart';
import { ErrorNote, Loading, Section, TableWrap, useLoad } from '../components/bits';
import { percent } from '../format';

const REFRESH_MS = 10_000;

function useRefresh(reloads: (() => void)[]) {
  useEffect(() => {
    const t = window.setInterval(() => reloads.forEach((r) => r()), REFRESH_MS);
    return () => window.clearInterval(t);
  }, []);
}

export function QueueTable({ queues }: { queues: Record<string, QueueDepth> }) {
  return (
    <TableWrap label="Queues">
      <table>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Ready</th>
            <th scope="col">In flight</th>
            <th scope="col">Retrying</th>
            <th scope="col">Dead-lettered</th>
            <th scope="col">Workers</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(queues).map(([name, q]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              {'error' in q ? (
                <td colSpan={5} class="error">
                  {q.error}
                </td>
              ) : (
                <>
                  <td>{q.ready}</td>
                  <td>{q.unacked}</td>
                  <td>{q.retrying}</td>
                  <td class={q.dead_lettered ? 'warn' : ''}>{q.dead_lettered}</td>
                  <td>{q.consumers}</td>
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export default function SystemStatusPage() {
  const health = useLoad(() => pixmill.systemHealth());
  const stats = useLoad(() => pixmill.systemStats());
  const throughput = useLoad(() => pixmill.throughput(60));
  useRefresh([health.reload, stats.reload, throughput.reload]);
  const t = throughput.data;
  return (
    <>
      <h1>System status</h1>
      <Section title="Dependencies" id="deps-title">
        <ErrorNote error={health.error} />
        {!health.data && !health.error && <Loading />}
        {health.data && (
          <ul class="checks">
            {Object.entries(health.data.checks).map(([name, c]) => (
              <li key={name} class={c.status === 'ok' ? 'ok' : 'down'}>
                <strong>{name}</strong>: {c.status === 'ok' ? 'healthy' : 'down'}
                {c.error ? ` (${c.error})` : ''} <span class="muted">{Math.round(c.ms)} ms</span>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Queues" id="queues-title">
        <ErrorNote error={stats.error} />
        {stats.data && <QueueTable queues={stats.data.queues} />}
      </Section>
      <Section title="Throughput, last hour" id="throughput-title">
        <ErrorNote error={throughput.error} />
        {!t && !throughput.error && <Loading />}
        {t && (
          <>
            <p>
              {t.totals.succeeded} images succeeded and {t.totals.failed} failed in the last {t.minutes} minutes
              (failure rate {percent(t.totals.failure_rate)}).
            </p>
            <BarChart
              title="Images finished a minute"
              labels={t.buckets.map((b) =>
                new Date(b.start).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }),
              )}
              series={[
                { label: 'succeeded', className: 'bar-ok', values: t.buckets.map((b) => b.succeeded) },
                { label: 'failed', className: 'bar-failed', values: t.buckets.map((b) => b.failed) },
              ]}
            />
          </>
        )}
      </Section>
    </>
  );
}
