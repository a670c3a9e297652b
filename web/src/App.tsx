import { useEffect, useRef } from 'react';
import { BrowserRouter, Outlet, Route, Routes, useLocation, useNavigate } from 'react-router';
import { loginPath, setUnauthorizedHandler } from './api/client';
import { Header } from './components/Header';
import { LiveProvider, type EventSourceFactory } from './live/LiveProvider';
import { ApplicationPage } from './pages/Application';
import { ApplicationsPage } from './pages/Applications';
import { ClusterPage } from './pages/Cluster';
import { LoginPage } from './pages/Login';
import { NotFoundPage } from './pages/NotFound';
import { OverviewPage } from './pages/Overview';
import { PoliciesPage } from './pages/Policies';
import { RolloutPage } from './pages/Rollout';
import { RolloutsPage } from './pages/Rollouts';
import { ScalePolicyPage } from './pages/ScalePolicy';
import { ScalingPage } from './pages/Scaling';
import { WorkloadPage } from './pages/Workload';
import { WorkloadsPage } from './pages/Workloads';

/** Sends every 401 to /login?next=<where the user was>. */
function UnauthorizedRedirect() {
  const navigate = useNavigate();
  const location = useLocation();
  const here = useRef('');
  here.current = location.pathname + location.search;
  useEffect(() => {
    setUnauthorizedHandler(() => {
      if (!here.current.startsWith('/login')) navigate(loginPath(here.current), { replace: true });
    });
    return () => setUnauthorizedHandler(null);
  }, [navigate]);
  return null;
}

function Layout() {
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <Header />
      <main id="main">
        <Outlet />
      </main>
    </>
  );
}

export function AppRoutes({ factory }: { factory?: EventSourceFactory }) {
  const { pathname } = useLocation();
  const onLogin = pathname === '/login';
  return (
    <LiveProvider enabled={!onLogin} factory={factory}>
      <UnauthorizedRedirect />
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route element={<Layout />}>
          <Route index element={<OverviewPage />} />
          <Route path="clusters/:name" element={<ClusterPage />} />
          <Route path="workloads" element={<WorkloadsPage />} />
          <Route path="workloads/:namespace/:binding" element={<WorkloadPage />} />
          <Route path="policies" element={<PoliciesPage />} />
          <Route path="rollouts" element={<RolloutsPage />} />
          <Route path="rollouts/:namespace/:name" element={<RolloutPage />} />
          <Route path="applications" element={<ApplicationsPage />} />
          <Route path="applications/:namespace/:name" element={<ApplicationPage />} />
          <Route path="scaling" element={<ScalingPage />} />
          <Route path="scaling/:namespace/:name" element={<ScalePolicyPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </LiveProvider>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <AppRoutes />
    </BrowserRouter>
  );
}
