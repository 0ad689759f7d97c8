import { useEffect, useRef, useState } from 'preact/hooks';
import { pixmill } from '../api/pixmill';
import { ErrorNote } from '../components/bits';

export function SignInPage() {
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const username = useRef<HTMLInputElement>(null);
  useEffect(() => username.current?.focus(), []);
  const onSubmit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      await pixmill.signIn(String(form.get('username') ?? ''), String(form.get('password') ?? ''));
      // The server sends a signed-in browser on to `next`, if it is a page of this site (else to the dashboard).
      location.assign(`/signin${location.search}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <form class="card" onSubmit={onSubmit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to pixmill</h1>
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" required ref={username} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
