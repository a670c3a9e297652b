import { Boxes, Gauge, LayoutDashboard, LogOut, Moon, Package, Rocket, ShieldCheck, Sun, User } from 'lucide-react';
import { useEffect, useState } from 'react';
import { Link, NavLink } from 'react-router';
import { api } from '../api/client';
import type { Whoami } from '../api/types';
import { indicator } from '../live/machine';
import { useLive } from '../live/LiveProvider';

export function LiveIndicator() {
  const { state } = useLive();
  const ind = indicator(state);
  return (
    <span className={`live tone-${ind.tone}`} data-testid="live" data-state={ind.dataState} title={ind.title} role="status" aria-label={ind.title}>
      <span className="live-dot" aria-hidden="true" />
      {ind.label}
    </span>
  );
}

export type Theme = 'light' | 'dark';
export const THEME_KEY = 'kurator.theme';

function systemTheme(): Theme {
  return typeof window !== 'undefined' && window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function storedTheme(): Theme | null {
  try {
    const t = localStorage.getItem(THEME_KEY);
    return t === 'light' || t === 'dark' ? t : null;
  } catch {
    return null;
  }
}

/** ThemeToggle switches light/dark; the choice is kept in localStorage, else the system's is followed. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(() => storedTheme() ?? systemTheme());
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => {
    const mq = window.matchMedia?.('(prefers-color-scheme: dark)');
    if (!mq) return;
    const follow = () => {
      if (!storedTheme()) setTheme(systemTheme());
    };
    mq.addEventListener('change', follow);
    return () => mq.removeEventListener('change', follow);
  }, []);
  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      className="icon-btn"
      data-testid="theme-toggle"
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
      onClick={() => {
        try {
          localStorage.setItem(THEME_KEY, next);
        } catch {
          // storage disabled: the choice lasts for this page only
        }
        setTheme(next);
      }}
    >
      {theme === 'dark' ? <Sun size={16} aria-hidden="true" /> : <Moon size={16} aria-hidden="true" />}
    </button>
  );
}

function WhoamiBadge() {
  const [me, setMe] = useState<Whoami | null>(null);
  useEffect(() => {
    const ctrl = new AbortController();
    api.whoami(ctrl.signal).then(setMe, () => setMe(null));
    return () => ctrl.abort();
  }, []);
  if (!me) return null;
  const how = me.mode === 'token' ? 'with your bearer token' : 'with the dashboard\u2019s kubeconfig';
  const title = `Signed in as ${me.user} ${how}${me.groups?.length ? `; groups: ${me.groups.join(', ')}` : ''}${me.hub ? `; hub ${me.hub}` : ''}`;
  return (
    <span className="whoami" title={title} data-testid="whoami">
      <User size={15} aria-hidden="true" />
      <span className="ellipsis">{me.user}</span>
      <span className="mode">{me.mode}</span>
      <button
        type="button"
        className="icon-btn small"
        aria-label="Log out"
        title="Log out: end this browser's session"
        onClick={() => {
          api.logout().then(
            () => window.location.assign('/login'),
            (e: Error) => window.alert(`Logging out failed: ${e.message}`),
          );
        }}
      >
        <LogOut size={14} aria-hidden="true" />
      </button>
    </span>
  );
}

export function Header() {
  const cls = ({ isActive }: { isActive: boolean }) => `nav-link${isActive ? ' active' : ''}`;
  return (
    <header className="topbar">
      <Link className="brand" to="/" aria-label="Kurator Dashboard: overview">
        <span className="brand-mark" aria-hidden="true">K</span>
        <span>Kurator</span>
      </Link>
      <nav aria-label="Main">
        <NavLink to="/" end className={cls}>
          <LayoutDashboard size={16} aria-hidden="true" /> Overview
        </NavLink>
        <NavLink to="/workloads" className={cls}>
          <Boxes size={16} aria-hidden="true" /> Workloads
        </NavLink>
        <NavLink to="/policies" className={cls}>
          <ShieldCheck size={16} aria-hidden="true" /> Policies
        </NavLink>
        <NavLink to="/rollouts" className={cls}>
          <Rocket size={16} aria-hidden="true" /> Rollouts
        </NavLink>
        <NavLink to="/applications" className={cls}>
          <Package size={16} aria-hidden="true" /> Applications
        </NavLink>
        <NavLink to="/scaling" className={cls}>
          <Gauge size={16} aria-hidden="true" /> Scaling
        </NavLink>
      </nav>
      <div className="topbar-right">
        <LiveIndicator />
        <WhoamiBadge />
        <ThemeToggle />
      </div>
    </header>
  );
}
