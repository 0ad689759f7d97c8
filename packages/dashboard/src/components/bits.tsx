// Small pieces every page uses: status badges, progress bars, errors, loading and empty states.
import { Component, type ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client';

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge s-${status}`}>{status}</span>;
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const v = Math.max(0, Math.min(100, value));
  return (
    <div class="progress">
      <progress max={100} value={v} aria-label={label} />
      <span class="pct">{Math.round(v * 10) / 10} %</span>
    </div>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

export const Loading = () => (
  <p class="muted" role="status">
    Loading…
  </p>
);

/** Keeps a part that fails to render from taking the rest of the page with it. */
export class Boundary extends Component<{ children: ComponentChildren }, { error?: unknown }> {
  override state: { error?: unknown } = {};
  override componentDidCatch(error: unknown) {
    this.setState({ error });
  }
  override render() {
    if (this.state.error) return <ErrorNote error={`This part could not be shown: ${String(this.state.error)}`} />;
    return this.props.children;
  }
}

export function Section(props: {
  title: string;
  id?: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="card" aria-labelledby={props.id}>
      <div class="card-head">
        <h2 id={props.id}>{props.title}</h2>
        {props.actions}
      </div>
      <Boundary>{props.children}</Boundary>
    </section>
  );
}

/** Loads data once (and again when `deps` change); `reload` fetches again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
      },
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((n) => n + 1) };
}

export function NotFound({ what = 'page' }: { what?: string }) {
  return (
    <div class="card">
      <h1>Not found</h1>
      <p>There is no such {what}, or it is not yours.</p>
      <p>
        <a href="/">Back to your batches</a>
      </p>
    </div>
  );
}

/** A table that may be wider than the screen: it scrolls sideways, and keyboard users can reach it to scroll. */
export function TableWrap(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}
