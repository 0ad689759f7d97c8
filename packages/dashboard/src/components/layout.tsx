import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { pixmill } from '../api/pixmill';
import type { Session } from '../api/types';
import { Link } from '../router';

const NAV = [
  { href: '/', label: 'Batches' },
  { href: '/new', label: 'New batch' },
  { href: '/system/status', label: 'System status' },
];

export function Layout(props: { session: Session; path: string; children: ComponentChildren }) {
  const { session, path } = props;
  const [signingOut, setSigningOut] = useState(false);
  // After an in-app navigation, keyboard and screen-reader users start at the new page's content, as after a load.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) return void (first.current = false);
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [path]);
  const nav = session.user.role === 'admin' ? [...NAV, { href: '/admin', label: 'Admin' }] : NAV;
  const signOut = async () => {
    setSigningOut(true);
    try {
      await pixmill.signOut();
    } finally {
      location.assign('/signin');
    }
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          pixmill
        </Link>
        <nav aria-label="Main">
          <ul>
            {nav.map((n) => (
              <li key={n.href}>
                <Link href={n.href} aria-current={path === n.href ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            Signed in as <strong>{session.user.username}</strong>
          </span>
          <button type="button" class="secondary" onClick={signOut} disabled={signingOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}
