// A bar chart as SVG drawn by the page (no chart library, no inline script or style), with the same numbers as a
// table for screen readers and keyboard users.
import { TableWrap } from './bits';

export type Series = { label: string; className: string; values: number[] };

export function BarChart(props: { title: string; labels: string[]; series: Series[]; height?: number }) {
  const { labels, series } = props;
  const height = props.height ?? 160;
  const n = Math.max(1, labels.length);
  const stacked = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const max = Math.max(1, ...stacked);
  const barWidth = 1000 / n;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 1000 ${height}`} preserveAspectRatio="none" role="img" aria-label={props.title}>
        {labels.map((label, i) => {
          let y = height;
          return (
            <g key={label}>
              {series.map((s) => {
                const v = s.values[i] ?? 0;
                const h = (v / max) * (height - 4);
                y -= h;
                return v > 0 ? (
                  <rect
                    key={s.label}
                    class={s.className}
                    x={i * barWidth + barWidth * 0.1}
                    y={y}
                    width={barWidth * 0.8}
                    height={h}
                  >
                    <title>{`${label}: ${v} ${s.label}`}</title>
                  </rect>
                ) : null;
              })}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {props.title}
        <span class="legend">
          {series.map((s) => (
            <span key={s.label}>
              <i class={`swatch ${s.className}`} aria-hidden="true" /> {s.label}
            </span>
          ))}
        </span>
      </figcaption>
      <details>
        <summary>As a table</summary>
        <TableWrap label="Chart data">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                {series.map((s) => (
                  <th scope="col" key={s.label}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {labels.map((label, i) =>
                stacked[i] ? (
                  <tr key={label}>
                    <th scope="row">{label}</th>
                    {series.map((s) => (
                      <td key={s.label}>{s.values[i] ?? 0}</td>
                    ))}
                  </tr>
                ) : null,
              )}
            </tbody>
          </table>
        </TableWrap>
      </details>
    </figure>
  );
}
