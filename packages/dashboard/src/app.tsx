// The app: who is signed in (the session, with its CSRF token), which page the address names, and the page itself,
// each loaded as its own script when first opened.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { setCsrfToken, whenSignedOut } from './api/client';
import { pixmill } from './api/pixmill';
import type { Session } from './api/types';
import { Boundary, NotFound } from './components/bits';
import { Layout } from './components/layout';
import { matchRoute, useLocation, type Route } from './router';
import { SignInPage } from './pages/sign-in';

type PageProps = { session: Session; route: Route };
type PageModule = { default: ComponentType<PageProps> };

const pages: Record<string, () => Promise<PageModule>> = {
  dashboard: () => import('./pages/dashboard'),
  new: () => import('./pages/new-batch'),
  batch: () => import('./pages/batch-detail'),
  system: () => import('./pages/system-status'),
  admin: () => import('./pages/admin'),
};

const TITLES: Record<string, string> = {
  dashboard: 'Batches',
  new: 'New batch',
  batch: 'Batch',
  system: 'System status',
  admin: 'Admin',
  'not-found': 'Not found',
};

const toSignIn = () => {
  const next = `${location.pathname}${location.search}`;
  location.assign(`/signin?next=${encodeURIComponent(next)}`);
};

export function App() {
  const { path } = useLocation();
  const route = matchRoute(path);
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [Page, setPage] = useState<{ page: string; C: ComponentType<PageProps> } | undefined>(undefined);

  useEffect(() => {
    if (route.page === 'signin') return;
    whenSignedOut(toSignIn);
    pixmill.session().then(
      (s) => {
        setCsrfToken(s.csrf_token);
        setSession(s);
      },
      () => setSession(null),
    );
  }, []);

  useEffect(() => {
    document.title = `${TITLES[route.page] ?? 'pixmill'} · pixmill`;
    const load = pages[route.page];
    if (!load) return setPage(undefined);
    let live = true;
    void load().then((m) => live && setPage({ page: route.page, C: m.default }));
    return () => {
      live = false;
    };
  }, [route.page]);

  if (route.page === 'signin') return <SignInPage />;
  if (session === null) {
    toSignIn();
    return null;
  }
  if (session === undefined) return <p class="boot">Loading pixmill…</p>;
  const body =
    route.page === 'not-found' ? (
      <NotFound />
    ) : route.page === 'admin' && session.user.role !== 'admin' ? (
      <div class="card">
        <h1>Admins only</h1>
        <p>This page is for administrators.</p>
      </div>
    ) : Page && Page.page === route.page ? (
      <Boundary>
        <Page.C session={session} route={route} />
      </Boundary>
    ) : (
      <p class="muted" role="status">
        Loading…
      </p>
    );
  return (
    <Layout session={session} path={path}>
      {body}
    </Layout>
  );
}
