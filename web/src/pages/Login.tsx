import { KeyRound, LogIn } from 'lucide-react';
import { useState } from 'react';
import { useSearchParams } from 'react-router';

/**
 * The login page. The server handles GET /login?token=X itself (it sets
 * the session cookie and redirects to `next`), so this page is only seen
 * without a token, or with ?error= when a token was refused.
 */
export function LoginPage() {
  const [params] = useSearchParams();
  const [token, setToken] = useState('');
  const error = params.get('error');
  const next = params.get('next') ?? '';
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return;
    const q = new URLSearchParams({ token: t });
    if (next.startsWith('/') && !next.startsWith('//')) q.set('next', next);
    // a full navigation: the server, not this app, answers /login?token=
    window.location.assign(`/login?${q.toString()}`);
  };
  return (
    <div className="login-wrap">
      <form className="login card" onSubmit={submit} aria-labelledby="login-title">
        <div className="login-brand">
          <span className="brand-mark" aria-hidden="true">K</span>
          <h1 id="login-title">Log in to the Kurator Dashboard</h1>
        </div>
        {error && (
          <div className="callout callout-error" role="alert" data-testid="login-error">
            <div>
              <div className="callout-title">{error}</div>
              <div className="callout-body">The token was not accepted. Use the newest URL that was printed, or paste another token.</div>
            </div>
          </div>
        )}
        <p>
          Open the URL that <code>kurator up</code> or <code>kurator dashboard</code> printed: it logs you in. Or paste a bearer token for the hub; the dashboard
          then shows only what that token may read.
        </p>
        <label className="field-label" htmlFor="token">
          <KeyRound size={14} aria-hidden="true" /> Token
        </label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          placeholder="login token or hub bearer token"
          data-testid="token"
        />
        <button type="submit" className="btn btn-primary" disabled={!token.trim()}>
          <LogIn size={15} aria-hidden="true" /> Log in
        </button>
      </form>
    </div>
  );
}
