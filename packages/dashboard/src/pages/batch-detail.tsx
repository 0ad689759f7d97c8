// `/batch/{id}`: one batch — status, live progress, timing, rate, ETA and chunks; the controls its state allows;
// its images as thumbnails (filtered by status) with each image's details and outputs; webhook deliveries with
// redelivery; exports; health and error analysis.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import { pixmill } from '../api/pixmill';
import { IMAGE_STATUSES, type BatchDetail, type ImageView, type Route, type Session } from '../api/types';
import { BarChart } from '../components/bar-chart';
import {
  ErrorNote,
  Loading,
  NotFound,
  ProgressBar,
  Section,
  StatusBadge,
  TableWrap,
  useLoad,
} from '../components/bits';
import { bytes, dateTime, duration, percent, rateAndEta } from '../format';
import { isFinal, useBatchLive } from '../live/batch-live';
import { navigate } from '../router';

const CONTROLS: { action: string; label: string; confirm?: string; danger?: boolean }[] = [
  { action: 'start', label: 'Start' },
  { action: 'pause', label: 'Pause' },
  { action: 'resume', label: 'Resume' },
  { action: 'retry-failed', label: 'Retry failed images' },
  { action: 'cancel', label: 'Cancel', confirm: 'Cancel this batch? Images not processed yet will not be.' },
  { action: 'restore', label: 'Restore' },
  { action: 'soft-delete', label: 'Move to trash', confirm: 'Move this batch to the trash (kept 30 days)?' },
  { action: 'delete', label: 'Delete now', confirm: 'Delete this batch and all its files for good?', danger: true },
];

export default function BatchDetailPage({ route }: { session: Session; route: Route }) {
  const id = route.page === 'batch' ? route.id : '';
  const { data, error, reload } = useLoad(() => pixmill.batch(id), [id]);
  if (error instanceof ApiError && error.status === 404) return <NotFound what="batch" />;
  if (error) return <ErrorNote error={error} />;
  if (!data) return <Loading />;
  return <Batch initial={data} reload={reload} />;
}

function Batch({ initial, reload }: { initial: BatchDetail; reload: () => void }) {
  const b = useBatchLive(initial, reload);
  const [imagesTick, setImagesTick] = useState(0);
  // New thumbnails as images finish: the grid follows the counters, at most every two seconds.
  const lastRefresh = useRef(0);
  useEffect(() => {
    const now = Date.now();
    if (now - lastRefresh.current > 2000 || isFinal(b.status)) {
      lastRefresh.current = now;
      setImagesTick((n) => n + 1);
    }
  }, [b.processed_images, b.status]);

  const name = b.batch_name ?? `Batch ${b.batch_id.slice(0, 8)}`;
  const { perMinute, etaSeconds } = rateAndEta(b);
  return (
    <>
      <div class="page-head">
        <h1>{name}</h1>
        <StatusBadge status={b.status} />
      </div>
      {b.deleted_at && <p class="note">This batch is in the trash since {dateTime(b.deleted_at)}.</p>}
      <div class="card">
        <ProgressBar value={b.progress_percentage} label={`Progress of ${name}`} />
        <dl class="facts">
          <div>
            <dt>Images</dt>
            <dd>{b.total_images}</dd>
          </div>
          <div>
            <dt>Processed</dt>
            <dd data-testid="processed">{b.processed_images}</dd>
          </div>
          <div>
            <dt>Succeeded</dt>
            <dd>{b.successful_count}</dd>
          </div>
          <div>
            <dt>Failed</dt>
            <dd>{b.failed_count}</dd>
          </div>
          <div>
            <dt>Rate</dt>
            <dd>{perMinute === null ? '—' : `${Math.round(perMinute)} images/min`}</dd>
          </div>
          <div>
            <dt>Time left</dt>
            <dd>{etaSeconds === null ? '—' : `about ${duration(etaSeconds)}`}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{dateTime(b.created_at)}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{dateTime(b.started_at)}</dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>{dateTime(b.completed_at)}</dd>
          </div>
          {initial.total_chunks > 0 && (
            <div>
              <dt>Chunks</dt>
              <dd>
                {initial.current_chunk ?? 0} of {initial.total_chunks} ({initial.chunk_size} URLs each)
              </dd>
            </div>
          )}
          <div>
            <dt>Source</dt>
            <dd>{initial.source === 'upload' ? 'uploaded images' : 'URL list'}</dd>
          </div>
        </dl>
        <Controls batch={{ ...initial, status: b.status }} reload={reload} />
      </div>
      <Images batchId={b.batch_id} tick={imagesTick} />
      <Exports batchId={b.batch_id} />
      <Insights batchId={b.batch_id} tick={isFinal(b.status) ? 1 : 0} />
      <Deliveries batchId={b.batch_id} webhookUrl={initial.webhook_url} />
    </>
  );
}

function Controls({ batch, reload }: { batch: BatchDetail; reload: () => void }) {
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [message, setMessage] = useState<string | undefined>(undefined);
  // The server says what the state allows; while live updates change the status, pause/resume follow it.
  const allowed = new Set(batch.allowed_actions);
  if (batch.status === 'paused') {
    allowed.delete('pause');
    allowed.add('resume');
  }
  if (isFinal(batch.status)) ['pause', 'resume', 'cancel', 'start'].forEach((a) => allowed.delete(a));
  if (batch.failed_count === 0) allowed.delete('retry-failed');

  const run = async (action: string, confirmText?: string) => {
    if (confirmText && !window.confirm(confirmText)) return;
    setBusy(action);
    setError(undefined);
    setMessage(undefined);
    try {
      if (action === 'delete') {
        await pixmill.deleteBatch(batch.batch_id);
        return navigate('/');
      }
      if (action === 'clone') {
        const r = (await pixmill.control(batch.batch_id, 'clone', {})) as { batch_id?: string };
        if (r.batch_id) return navigate(`/batch/${r.batch_id}`);
      } else {
        await pixmill.control(batch.batch_id, action);
        setMessage(`Done: ${action}.`);
      }
      reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <div class="controls" role="group" aria-label="Batch controls">
      {CONTROLS.filter((c) => allowed.has(c.action)).map((c) => (
        <button
          key={c.action}
          type="button"
          class={
            c.danger
              ? 'danger'
              : c.action === 'pause' || c.action === 'start' || c.action === 'resume'
                ? ''
                : 'secondary'
          }
          disabled={busy !== undefined}
          onClick={() => run(c.action, c.confirm)}
        >
          {busy === c.action ? `${c.label}…` : c.label}
        </button>
      ))}
      <button type="button" class="secondary" disabled={busy !== undefined} onClick={() => run('clone')}>
        Clone
      </button>
      {message && (
        <p class="muted" role="status">
          {message}
        </p>
      )}
      <ErrorNote error={error} />
    </div>
  );
}

const smallest = (img: ImageView) => [...img.outputs].sort((a, b) => a.bytes - b.bytes)[0];
const imageName = (img: ImageView) => img.original_name ?? img.source_url ?? img.id;
/** Only web addresses become links: a `javascript:` URL from a CSV stays text. */
const isWebUrl = (u: string | null | undefined) => !!u && /^https?:\/\//i.test(u);

function Images({ batchId, tick }: { batchId: string; tick: number }) {
  const [status, setStatus] = useState('');
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<ImageView | undefined>(undefined);
  const { data, error } = useLoad(
    () => pixmill.images(batchId, { status: status || undefined, page, per_page: 48 }),
    [batchId, status, page, tick],
  );
  const pages = data ? Math.max(1, Math.ceil(data.total / data.per_page)) : 1;
  return (
    <Section
      title="Images"
      id="images-title"
      actions={
        <div class="inline-field">
          <label for="img-status">Show</label>
          <select
            id="img-status"
            value={status}
            onChange={(e) => {
              setStatus(e.currentTarget.value);
              setPage(1);
            }}
          >
            <option value="">all</option>
            {IMAGE_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
      }
    >
      <ErrorNote error={error} />
      {!data && !error && <Loading />}
      {data && data.items.length === 0 && <p class="empty">No images{status ? ` that are ${status}` : ''}.</p>}
      {data && data.items.length > 0 && (
        <ul class="thumbs" aria-label="Images">
          {data.items.map((img) => {
            const thumb = smallest(img);
            return (
              <li key={img.id}>
                <button type="button" class="thumb" onClick={() => setOpen(img)} data-status={img.status}>
                  {thumb ? (
                    <img src={thumb.download_url} alt="" loading="lazy" width={thumb.width} height={thumb.height} />
                  ) : (
                    <span class={`placeholder s-${img.status}`} aria-hidden="true">
                      {img.status === 'failed' ? '✕' : '…'}
                    </span>
                  )}
                  <span class="thumb-name">{imageName(img)}</span>
                  <StatusBadge status={img.status} />
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {data && pages > 1 && (
        <nav class="pager" aria-label="Image pages">
          <button type="button" class="secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {page} of {pages} · {data.total} images
          </span>
          <button type="button" class="secondary" disabled={page >= pages} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </nav>
      )}
      {open && <ImageDialog image={open} onClose={() => setOpen(undefined)} />}
    </Section>
  );
}

function ImageDialog({ image, onClose }: { image: ImageView; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [compare, setCompare] = useState(image.outputs[0]?.variant);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const output = image.outputs.find((o) => o.variant === compare);
  return (
    <dialog ref={ref} class="image-dialog" aria-labelledby="image-title" onClose={onClose}>
      <div class="card-head">
        <h2 id="image-title">{imageName(image)}</h2>
        <button type="button" class="secondary" onClick={() => ref.current?.close()}>
          Close
        </button>
      </div>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={image.status} />
          </dd>
        </div>
        {image.original_name && (
          <div>
            <dt>File</dt>
            <dd>{image.original_name}</dd>
          </div>
        )}
        {image.source_url && (
          <div>
            <dt>URL</dt>
            <dd class="break">
              {isWebUrl(image.source_url) ? (
                <a href={image.source_url} rel="noreferrer noopener" target="_blank">
                  {image.source_url}
                </a>
              ) : (
                image.source_url
              )}
            </dd>
          </div>
        )}
        {image.row_number !== null && (
          <div>
            <dt>CSV row</dt>
            <dd>{image.row_number}</dd>
          </div>
        )}
        <div>
          <dt>Processed</dt>
          <dd>{dateTime(image.processed_at)}</dd>
        </div>
      </dl>
      {image.error && (
        <p class="error" role="alert">
          <strong>{image.error.code}</strong>: {image.error.message}
        </p>
      )}
      {image.outputs.length > 0 && (
        <TableWrap label="Outputs">
          <table>
            <caption>Outputs</caption>
            <thead>
              <tr>
                <th scope="col">Variant</th>
                <th scope="col">Format</th>
                <th scope="col">Size</th>
                <th scope="col">Bytes</th>
                <th scope="col">Download</th>
              </tr>
            </thead>
            <tbody>
              {image.outputs.map((o) => (
                <tr key={o.variant}>
                  <td>{o.variant}</td>
                  <td>{o.format}</td>
                  <td>
                    {o.width} × {o.height}
                  </td>
                  <td>{bytes(o.bytes)}</td>
                  <td>
                    <a href={o.download_url} data-variant={o.variant}>
                      Download {o.variant}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {output && (
        <>
          <div class="inline-field">
            <label for="compare">Compare the original with</label>
            <select id="compare" value={compare} onChange={(e) => setCompare(e.currentTarget.value)}>
              {image.outputs.map((o) => (
                <option key={o.variant}>{o.variant}</option>
              ))}
            </select>
          </div>
          <div class="side-by-side">
            {image.original_url && (
              <figure>
                <img src={image.original_url} alt={`Original of ${imageName(image)}`} />
                <figcaption>Original</figcaption>
              </figure>
            )}
            <figure>
              <img src={output.download_url} alt={`${output.variant} output of ${imageName(image)}`} />
              <figcaption>
                {output.variant}: {output.width} × {output.height} {output.format}, {bytes(output.bytes)}
              </figcaption>
            </figure>
          </div>
        </>
      )}
    </dialog>
  );
}

function Exports({ batchId }: { batchId: string }) {
  const e = encodeURIComponent(batchId);
  return (
    <Section title="Exports" id="exports-title">
      <ul class="links">
        <li>
          <a href={`/api/v1/batches/${e}/results.csv`} download>
            Results CSV
          </a>{' '}
          <span class="muted">(your input with the output URLs)</span>
        </li>
        <li>
          <a href={`/export/batch/${e}?format=csv`} download>
            Export as CSV
          </a>
        </li>
        <li>
          <a href={`/export/batch/${e}?format=json`} download>
            Export as JSON
          </a>
        </li>
        <li>
          <a href={`/export/batch/${e}?format=xlsx`} download>
            Export as Excel (XLSX)
          </a>
        </li>
        <li>
          <a href={`/export/batch/${e}?format=csv&failed_only=true`} download>
            Failed images only (CSV)
          </a>
        </li>
      </ul>
    </Section>
  );
}

function Insights({ batchId, tick }: { batchId: string; tick: number }) {
  const health = useLoad(() => pixmill.health(batchId), [batchId, tick]);
  const analysis = useLoad(() => pixmill.analyze(batchId), [batchId, tick]);
  const h = health.data;
  const a = analysis.data;
  return (
    <Section title="Health and errors" id="insights-title">
      <ErrorNote error={health.error ?? analysis.error} />
      {h && (
        <p>
          Health: <strong>{h.health_status}</strong>, score {Math.round(h.health_score)} of 100 (success rate{' '}
          {percent(h.components.success_rate.value)}). {[...h.issues, ...h.recommendations].join('. ')}
        </p>
      )}
      {a && a.failed_images === 0 && <p>No image failed.</p>}
      {a && a.failed_images > 0 && (
        <>
          <p>
            {a.failed_images} {a.failed_images === 1 ? 'image' : 'images'} failed ({percent(a.failure_rate)} of those
            processed). Most often:{' '}
            {a.top_errors.map((t) => `${t.code ?? 'unknown'} (${t.count}): ${t.message ?? ''}`).join('; ')}.{' '}
            {a.recommendations.join(' ')}
          </p>
          <BarChart
            title="Failed images by kind of error"
            labels={a.categories.map((c) => c.category.replace(/_/g, ' '))}
            series={[{ label: 'images', className: 'bar-failed', values: a.categories.map((c) => c.count) }]}
            height={120}
          />
        </>
      )}
    </Section>
  );
}

function Deliveries({ batchId, webhookUrl }: { batchId: string; webhookUrl: string | null }) {
  const { data, error, reload } = useLoad(() => pixmill.deliveries(batchId), [batchId]);
  const [note, setNote] = useState<unknown>(undefined);
  if (!webhookUrl) return null;
  const redeliver = async (id: string) => {
    setNote(undefined);
    try {
      await pixmill.redeliver(batchId, id);
      setNote('Queued again; the new attempt appears here once made.');
      window.setTimeout(reload, 1500);
    } catch (err) {
      setNote(err);
    }
  };
  return (
    <Section title="Webhook deliveries" id="deliveries-title">
      <p class="break">
        To <code>{webhookUrl}</code>
        {data ? `: ${data.webhook_status.replace('_', ' ')}` : ''}
      </p>
      <ErrorNote error={error} />
      {typeof note === 'string' ? (
        <p role="status" class="muted">
          {note}
        </p>
      ) : (
        <ErrorNote error={note} />
      )}
      {data && data.items.length === 0 && (
        <p class="empty">No delivery yet: the webhook is sent when the batch ends.</p>
      )}
      {data && data.items.length > 0 && (
        <TableWrap label="Webhook deliveries">
          <table>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Attempt</th>
                <th scope="col">Result</th>
                <th scope="col">When</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((d) => (
                <tr key={d.id}>
                  <td>{d.event}</td>
                  <td>{d.attempt}</td>
                  <td>
                    {d.status}
                    {d.status_code !== null ? ` (HTTP ${d.status_code})` : ''}
                    {d.error ? `: ${d.error}` : ''}
                  </td>
                  <td>{dateTime(d.attempted_at)}</td>
                  <td>
                    <button type="button" class="secondary" onClick={() => redeliver(d.id)}>
                      Redeliver<span class="sr-only"> attempt {d.attempt}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </Section>
  );
}
