import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppRoutes } from '../App';
import { DEBOUNCE_MS } from '../live/useResource';
import { FakeEventSource, stubFetch } from '../testing/fakes';
import { cluster, overview, workload, workloadList } from '../testing/fixtures';
import { PROBLEM_ROWS } from './Overview';
import { filtersFrom, withFilter } from './Workloads';

const whoami = { user: 'kurator-admin', mode: 'kubeconfig', hub: 'https://127.0.0.1:6443' };

function Where() {
  const l = useLocation();
  return <output data-testid="where">{l.pathname + l.search}</output>;
}

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AppRoutes factory={FakeEventSource.factory} />
      <Where />
    </MemoryRouter>,
  );
}

const where = () => screen.getByTestId('where').textContent;

beforeEach(() => {
  FakeEventSource.all = [];
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('workload filters and the URL', () => {
  it('reads the filters from the query, ignoring empty ones', () => {
    expect(filtersFrom(new URLSearchParams('namespace=team-a&fleet=&health=Degraded&x=1'))).toEqual({ namespace: 'team-a', health: 'Degraded' });
  });

  it('setting a filter keeps the others; clearing one removes it', () => {
    const p = new URLSearchParams('namespace=team-a&cluster=cluster-hangzhou');
    expect(withFilter(p, 'health', 'Healthy').toString()).toBe('namespace=team-a&cluster=cluster-hangzhou&health=Healthy');
    expect(withFilter(p, 'namespace', '').toString()).toBe('cluster=cluster-hangzhou');
  });

  it('a select puts its filter in the URL and asks the server for it', async () => {
    const { calls } = stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/workloads': (url: string) =>
        workloadList(url.includes('namespace=team-a') ? [workload('team-a', 'web')] : [workload('team-a', 'web'), workload('team-b', 'api'), workload('default', 'nginx')]),
    });
    renderAt('/workloads');
    await screen.findByRole('link', { name: 'team-b/api' });
    fireEvent.change(screen.getByTestId('filter-namespace'), { target: { value: 'team-a' } });
    await waitFor(() => expect(where()).toBe('/workloads?namespace=team-a'));
    await waitFor(() => expect(screen.queryByRole('link', { name: 'team-b/api' })).toBeNull());
    expect(screen.getByRole('link', { name: 'team-a/web' })).toBeTruthy();
    expect(calls).toContain('/api/v1/workloads?namespace=team-a');
  });

  it('a shared link with filters shows them selected and filtered', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/workloads': workloadList([workload('team-a', 'web'), workload('team-b', 'api', { health: 'Degraded', message: 'apply failed' })]) });
    renderAt('/workloads?health=Degraded&q=api');
    await screen.findByRole('link', { name: 'team-b/api' });
    expect((screen.getByTestId('filter-health') as HTMLSelectElement).value).toBe('Degraded');
    expect((screen.getByTestId('filter-q') as HTMLInputElement).value).toBe('api');
    expect(screen.queryByRole('link', { name: 'team-a/web' })).toBeNull();
  });

  it('with no workloads at all the page says how to create one', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/workloads': { items: null, namespaces: null, clusters: null, fleets: null } });
    renderAt('/workloads');
    expect(await screen.findByText('No workloads yet')).toBeTruthy();
    expect(screen.getByText(/kubectl apply -f examples/)).toBeTruthy();
  });

  it('each row links to the workload page by its name', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/workloads': workloadList([workload('default', 'nginx')]) });
    renderAt('/workloads');
    const link = await screen.findByRole('link', { name: 'default/nginx' });
    expect(link.getAttribute('href')).toBe('/workloads/default/nginx-deployment');
  });
});

describe('overview', () => {
  it('shows each cluster with its Ready state and node count', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/overview': overview([cluster('cluster-hangzhou'), cluster('cluster-shanghai'), cluster('cluster-frankfurt', { region: 'eu-central' })]) });
    renderAt('/');
    const card = await screen.findByTestId('cluster-cluster-frankfurt');
    expect(card.getAttribute('data-ready')).toBe('True');
    expect(within(card).getByText('Ready')).toBeTruthy();
    expect(within(card).getByTestId('nodes').textContent).toBe('3/3');
    expect(within(card).getByRole('link', { name: 'cluster-frankfurt' }).getAttribute('href')).toBe('/clusters/cluster-frankfurt');
  });

  it('a bulk release with hundreds of unhealthy workloads lists the first few problems; Show all lists the rest', async () => {
    const doc = overview([cluster('cluster-hangzhou')]);
    doc.problems = Array.from({ length: 300 }, (_, i) => ({
      severity: 'warning',
      object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'bulk', name: `web-${i}` },
      message: 'Progressing: 0/2 ready',
    }));
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/overview': doc });
    renderAt('/');
    const problems = await screen.findByTestId('problems');
    expect(within(problems).getAllByRole('listitem')).toHaveLength(PROBLEM_ROWS);
    expect(within(problems).getByText(`${PROBLEM_ROWS} of 300 shown`)).toBeTruthy();
    // the clusters stay a few Tab stops away
    expect(within(screen.getByTestId('cluster-cluster-hangzhou')).getByRole('link', { name: 'cluster-hangzhou' })).toBeTruthy();
    fireEvent.click(within(problems).getByRole('button', { name: 'Show all 300' }));
    expect(within(problems).getAllByRole('listitem')).toHaveLength(300);
    expect(within(problems).queryByRole('button')).toBeNull();
  });

  it('a NotReady cluster is red with its condition message', async () => {
    const down = cluster('cluster-frankfurt', {
      ready: { type: 'Ready', status: 'False', reason: 'ClusterNotReachable', message: 'cluster-frankfurt: Get "https://127.0.0.1:7443/readyz": connection refused', since: new Date().toISOString() },
    });
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/overview': overview([down, cluster('cluster-hangzhou')]) });
    renderAt('/');
    const card = await screen.findByTestId('cluster-cluster-frankfurt');
    expect(card.getAttribute('data-ready')).toBe('False');
    expect(card.className).toContain('card-error');
    expect(within(card).getByText('NotReady')).toBeTruthy();
    expect(within(card).getByTestId('ready-message').textContent).toContain('connection refused');
    // its figures are the last collected, and say so; a Ready cluster's are not marked
    expect(within(card).getByTestId('figures').getAttribute('data-stale')).toBe('true');
    expect(within(card).getByText(/Last collected/)).toBeTruthy();
    const up = await screen.findByTestId('cluster-cluster-hangzhou');
    expect(within(up).getByTestId('figures').getAttribute('data-stale')).toBeNull();
    expect(within(up).queryByText(/Last collected/)).toBeNull();
  });

  it('a change on the stream refetches once after the debounce, keeping the old page meanwhile', async () => {
    let ready = 'True';
    const { calls } = stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/overview': () => overview([cluster('cluster-frankfurt', { ready: { type: 'Ready', status: ready as 'True' } })]),
    });
    renderAt('/');
    await screen.findByTestId('cluster-cluster-frankfurt');
    const es = FakeEventSource.latest();
    act(() => es.open()); // the open itself refetches (changes may have been missed)
    await waitFor(() => expect(calls.filter((c) => c === '/api/v1/overview').length).toBe(2));
    ready = 'False';
    act(() => {
      es.change(['clusters']);
      es.change(['clusters', 'workloads']);
      es.change(['policies']); // not a topic of the overview
    });
    expect(screen.getByTestId('cluster-cluster-frankfurt').getAttribute('data-ready')).toBe('True');
    await waitFor(() => expect(screen.getByTestId('cluster-cluster-frankfurt').getAttribute('data-ready')).toBe('False'));
    await new Promise((r) => setTimeout(r, DEBOUNCE_MS * 3));
    expect(calls.filter((c) => c === '/api/v1/overview').length).toBe(3);
  });

  it('the indicator follows the stream: Connecting, Live, Reconnecting, Offline', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/overview': overview([cluster('cluster-hangzhou')]) });
    renderAt('/');
    const live = screen.getByTestId('live');
    expect(live.getAttribute('data-state')).toBe('reconnecting');
    const es = FakeEventSource.latest();
    act(() => es.open());
    expect(live.getAttribute('data-state')).toBe('live');
    expect(live.textContent).toBe('Live');
    act(() => es.fail());
    expect(live.textContent).toBe('Reconnecting…');
    act(() => {
      es.fail();
      es.fail();
    });
    expect(live.getAttribute('data-state')).toBe('offline');
    expect(live.getAttribute('title')).toContain('not updating');
    expect(FakeEventSource.all.length).toBe(1); // one shared stream
  });

  it('a 401 from the API sends the user to the login page, remembering where they were', async () => {
    stubFetch({ '/api/v1/whoami': { status: 401, body: { error: 'no session' } }, '/api/v1/overview': { status: 401, body: { error: 'no session' } } });
    renderAt('/clusters/cluster-hangzhou');
    await waitFor(() => expect(where()).toBe('/login?next=%2Fclusters%2Fcluster-hangzhou'));
    expect(screen.getByRole('heading', { name: 'Log in to the Kurator Dashboard' })).toBeTruthy();
    expect(screen.getByText(/kurator up/)).toBeTruthy();
  });

  it('a server error shows its message and hint, with a Retry', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/overview': { status: 503, body: { error: 'informer caches not synced yet', hint: 'wait a few seconds' } } });
    renderAt('/');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('informer caches not synced yet');
    expect(alert.textContent).toContain('wait a few seconds');
    expect(within(alert).getByRole('button', { name: 'Retry' })).toBeTruthy();
  });
});

describe('workload page', () => {
  it('shows chosen clusters with replicas and every excluded cluster with its reason', async () => {
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/workloads/default/nginx-deployment': {
        summary: workload('default', 'nginx'),
        placement: {
          chosen: [
            { name: 'cluster-hangzhou', replicas: 6 },
            { name: 'cluster-shanghai', replicas: 4 },
          ],
          excluded: [{ name: 'cluster-frankfurt', reason: 'not in clusterNames' }],
          summary: 'clusterNames: cluster-hangzhou, cluster-shanghai; static weights 60:40',
          differs: true,
        },
        overrides: null,
        failover: null,
        conditions: null,
        events: null,
      },
    });
    renderAt('/workloads/default/nginx-deployment');
    expect((await screen.findByTestId('dist-cluster-hangzhou')).textContent).toContain('6');
    expect(screen.getByTestId('dist-cluster-shanghai').textContent).toContain('4');
    expect(within(screen.getByTestId('chosen-cluster-hangzhou')).getByText('6')).toBeTruthy();
    expect(screen.getByTestId('excluded-cluster-frankfurt').textContent).toBe('cluster-frankfurt — not in clusterNames');
    expect(screen.getByTestId('placement-summary').textContent).toContain('static weights 60:40');
    expect(screen.getByTestId('placement-differs').textContent).toContain('has not applied this decision yet');
  });
});
