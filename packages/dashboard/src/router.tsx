// A small history-API router: the page paths the gateway serves the shell at (`/`, `/new`, `/batch/:id`,
// `/system/status`, `/admin`, `/signin`), links that navigate without reloading, and the query string as page state.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((f) => f());
window.addEventListener('popstate', notify);

export function navigate(to: string, o: { replace?: boolean } = {}) {
  if (o.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  notify();
  if (!o.replace) window.scrollTo(0, 0);
}

/** The current location (path and query), re-rendering on every navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const f = () => setTick((n) => n + 1);
    listeners.add(f);
    return () => void listeners.delete(f);
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Changes query parameters in place (filters, paging), keeping the rest. */
export function setQuery(changes: Record<string, string | number | undefined>) {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') q.delete(k);
    else q.set(k, String(v));
  }
  const s = q.toString();
  navigate(`${location.pathname}${s ? `?${s}` : ''}`, { replace: true });
}

export type Route =
  | { page: 'signin' }
  | { page: 'dashboard' }
  | { page: 'new' }
  | { page: 'batch'; id: string }
  | { page: 'system' }
  | { page: 'admin' }
  | { page: 'not-found' };

export function matchRoute(path: string): Route {
  if (path === '/signin') return { page: 'signin' };
  if (path === '/') return { page: 'dashboard' };
  if (path === '/new') return { page: 'new' };
  if (path === '/system/status') return { page: 'system' };
  if (path === '/admin') return { page: 'admin' };
  const batch = /^\/batch\/([^/]+)$/.exec(path);
  if (batch) return { page: 'batch', id: decodeURIComponent(batch[1]!) };
  return { page: 'not-found' };
}

type LinkProps = JSX.HTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** An ordinary link that navigates inside the app (a modified click still opens a new tab). */
export function Link({ href, children, ...rest }: LinkProps) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
