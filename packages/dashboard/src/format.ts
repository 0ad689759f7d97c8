// Numbers, sizes, times and durations as people read them.

export const bytes = (n: number): string => {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
};

export const duration = (seconds: number | null | undefined): string => {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
};

export const dateTime = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '—';

export const percent = (n: number | null | undefined): string =>
  n === null || n === undefined ? '—' : `${Math.round(n * 10) / 10} %`;

/** Images a minute and seconds left, from what a batch summary says (started_at, processed and total). */
export function rateAndEta(b: {
  status: string;
  started_at: string | null;
  completed_at: string | null;
  processed_images: number;
  total_images: number;
}): { perMinute: number | null; etaSeconds: number | null } {
  if (!b.started_at) return { perMinute: null, etaSeconds: null };
  const end = b.completed_at ? Date.parse(b.completed_at) : Date.now();
  const elapsed = Math.max(0.001, (end - Date.parse(b.started_at)) / 1000);
  const perSecond = b.processed_images / elapsed;
  const active = b.status === 'queued' || b.status === 'processing';
  const left = b.total_images - b.processed_images;
  return {
    perMinute: b.processed_images > 0 ? perSecond * 60 : null,
    etaSeconds: active && perSecond > 0 ? left / perSecond : null,
  };
}
