// `/`: your batches, newest first (paged, filtered by status, searched by name), each with live progress, and the
// totals over all of them at the top.
import { useEffect, useState } from 'preact/hooks';
import { pixmill } from '../api/pixmill';
import { BATCH_STATUSES, type BatchListItem } from '../api/types';
import { ErrorNote, Loading, ProgressBar, StatusBadge, useLoad } from '../components/bits';
import { dateTime, duration, rateAndEta } from '../format';
import { useBatchLive } from '../live/batch-live';
import { Link, setQuery, useLocation } from '../router';

const PER_PAGE = 20;

function Totals() {
  const { data } = useLoad(() => pixmill.systemStats());
  if (!data) return null;
  const by = data.batches.by_status;
  const running = (by.queued ?? 0) + (by.processing ?? 0);
  return (
    <dl class="totals" aria-label="Totals">
      <div>
        <dt>Batches</dt>
        <dd>{data.batches.total}</dd>
      </div>
      <div>
        <dt>Running</dt>
        <dd>{running}</dd>
      </div>
      <div>
        <dt>Images processed</dt>
        <dd>
          {data.images.processed} / {data.images.total}
        </dd>
      </div>
      <div>
        <dt>Failed images</dt>
        <dd>{data.images.failed}</dd>
      </div>
      <div>
        <dt>Success rate</dt>
        <dd>{data.images.success_rate === null ? '—' : `${data.images.success_rate} %`}</dd>
      </div>
    </dl>
  );
}

function BatchRow({ initial }: { initial: BatchListItem }) {
  const b = useBatchLive(initial);
  const { perMinute, etaSeconds } = rateAndEta(b);
  const name = b.batch_name ?? `Batch ${b.batch_id.slice(0, 8)}`;
  return (
    <li class="batch-row" data-batch-id={b.batch_id}>
      <div class="batch-main">
        <Link href={`/batch/${b.batch_id}`} class="batch-name">
          {name}
        </Link>
        <StatusBadge status={b.status} />
      </div>
      <ProgressBar value={b.progress_percentage} label={`Progress of ${name}`} />
      <p class="batch-facts">
        <span>
          {b.processed_images} of {b.total_images} processed
        </span>
        <span>{b.successful_count} succeeded</span>
        <span class={b.failed_count ? 'warn' : ''}>{b.failed_count} failed</span>
        {perMinute !== null && <span>{Math.round(perMinute)} images/min</span>}
        {etaSeconds !== null && <span>about {duration(etaSeconds)} left</span>}
        <span class="muted">created {dateTime(b.created_at)}</span>
      </p>
    </li>
  );
}

export default function DashboardPage() {
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const search = query.get('q') ?? '';
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const [text, setText] = useState(search);
  useEffect(() => setText(search), [search]);

  const { data, error } = useLoad(
    () => pixmill.batches({ page, per_page: PER_PAGE, status: status || undefined, q: search || undefined }),
    [page, status, search],
  );

  const onSearch = (e: SubmitEvent) => {
    e.preventDefault();
    setQuery({ q: text.trim() || undefined, page: undefined });
  };

  return (
    <>
      <div class="page-head">
        <h1>Batches</h1>
        <Link href="/new" class="button">
          New batch
        </Link>
      </div>
      <Totals />
      <form class="filters" role="search" onSubmit={onSearch}>
        <div>
          <label for="f-status">Status</label>
          <select
            id="f-status"
            value={status}
            onChange={(e) => setQuery({ status: (e.currentTarget as HTMLSelectElement).value, page: undefined })}
          >
            <option value="">Any</option>
            {BATCH_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="grow">
          <label for="f-q">Name contains</label>
          <input id="f-q" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </div>
        <button type="submit" class="secondary">
          Search
        </button>
      </form>
      <ErrorNote error={error} />
      {!data && !error && <Loading />}
      {data && data.items.length === 0 && (
        <p class="empty">
          {status || search ? 'No batches match.' : 'No batches yet.'} <Link href="/new">Start one</Link>.
        </p>
      )}
      {data && data.items.length > 0 && (
        <>
          <ul class="batch-list" aria-label="Batches">
            {data.items.map((b) => (
              <BatchRow key={b.batch_id} initial={b} />
            ))}
          </ul>
          <nav class="pager" aria-label="Pages">
            <button
              type="button"
              class="secondary"
              disabled={page <= 1}
              onClick={() => setQuery({ page: page - 1 > 1 ? page - 1 : undefined })}
            >
              Newer
            </button>
            <span>
              Page {data.page} of {Math.max(1, data.total_pages)} · {data.total} batches
            </span>
            <button
              type="button"
              class="secondary"
              disabled={page >= data.total_pages}
              onClick={() => setQuery({ page: page + 1 })}
            >
              Older
            </button>
          </nav>
        </>
      )}
    </>
  );
}
