import { CircleAlert, Info, RefreshCw } from 'lucide-react';
import type { ReactNode } from 'react';
import type { ApiError } from '../api/client';

/** Ellipsis cuts a long name to its box; the title holds the whole. */
export function Ellipsis({ text, className = '' }: { text: string; className?: string }) {
  return (
    <span className={`ellipsis ${className}`} title={text}>
      {text}
    </span>
  );
}

export function ErrorBox({ error, onRetry, compact = false }: { error: ApiError; onRetry?: () => void; compact?: boolean }) {
  return (
    <div className={`callout callout-error${compact ? ' compact' : ''}`} role="alert">
      <CircleAlert size={18} aria-hidden="true" />
      <div>
        <div className="callout-title">{error.message}</div>
        {error.hint && <div className="callout-body">{error.hint}</div>}
      </div>
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          <RefreshCw size={14} aria-hidden="true" /> Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <Info size={18} aria-hidden="true" />
      <div>
        <div className="empty-title">{title}</div>
        {children && <div className="empty-body">{children}</div>}
      </div>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="skeleton" />
      <span className="skeleton short" />
      <span className="sr-only">Loading {what}…</span>
    </div>
  );
}

export function Panel({ title, actions, children, id, count }: { title: ReactNode; actions?: ReactNode; children: ReactNode; id?: string; count?: number }) {
  return (
    <section className="panel" aria-labelledby={id ? `${id}-title` : undefined} id={id}>
      <header className="panel-head">
        <h2 id={id ? `${id}-title` : undefined}>
          {title}
          {count !== undefined && <span className="count num">{count}</span>}
        </h2>
        {actions}
      </header>
      <div className="panel-body">{children}</div>
    </section>
  );
}

export function Chip({ children, title, tone }: { children: ReactNode; title?: string; tone?: string }) {
  return (
    <span className={`chip${tone ? ` tone-${tone}` : ''}`} title={title}>
      {children}
    </span>
  );
}

/** Field is one "label: value" pair of a summary grid. */
export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="field">
      <dt>{label}</dt>
      <dd>{children ?? <span className="muted">–</span>}</dd>
    </div>
  );
}

/** PageError shows a view's failure, and keeps the stale data's page below it (when there is one). */
export function RefreshError({ error, onRetry }: { error?: ApiError; onRetry: () => void }) {
  if (!error) return null;
  return <ErrorBox error={error} onRetry={onRetry} compact />;
}

/**
 * NamespaceFilter is a list page's namespace select, kept in the URL's
 * `namespace` parameter. `choices` are the namespaces the list offers; a
 * namespace named in the URL but not among them stays selectable.
 */
export function NamespaceFilter({ params, setParams, choices, label }: {
  params: URLSearchParams;
  setParams: (next: URLSearchParams) => void;
  choices: string[];
  label: string;
}) {
  const namespace = params.get('namespace') ?? '';
  const all = namespace && !choices.includes(namespace) ? [namespace, ...choices] : choices;
  return (
    <form className="filters" role="search" aria-label={label} onSubmit={(e) => e.preventDefault()}>
      <label className="select">
        <span>Namespace</span>
        <select
          name="namespace"
          value={namespace}
          data-testid="filter-namespace"
          onChange={(e) => {
            const next = new URLSearchParams(params);
            if (e.target.value) next.set('namespace', e.target.value);
            else next.delete('namespace');
            setParams(next);
          }}
        >
          <option value="">All</option>
          {all.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}
