import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppRoutes } from '../App';
import { FakeEventSource, stubFetch } from '../testing/fakes';
import { workload } from '../testing/fixtures';
import { rolloutDetail, rolloutSummary } from '../testing/rollouts';
import { duration } from './Rollout';

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

beforeEach(() => {
  FakeEventSource.all = [];
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('rollouts list', () => {
  it('is in the main navigation', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/rollouts': { items: [], namespaces: [] } });
    renderAt('/rollouts');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Rollouts' }).getAttribute('href')).toBe('/rollouts');
    expect(await screen.findByText('No Rollouts yet')).toBeTruthy();
  });

  it('shows each rollout with phase, stage, revisions and a weight chip per cluster, linked to its page and its workload', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/rollouts': { items: [rolloutSummary('bookinfo', 'reviews')], namespaces: ['bookinfo'] } });
    renderAt('/rollouts');
    const row = await screen.findByTestId('rollout-bookinfo/reviews');
    expect(within(row).getByRole('link', { name: 'bookinfo/reviews' }).getAttribute('href')).toBe('/rollouts/bookinfo/reviews');
    expect(within(row).getByRole('link', { name: 'Deployment reviews' }).getAttribute('href')).toBe('/workloads/bookinfo/reviews-deployment');
    expect(within(row).getByText('Progressing')).toBeTruthy();
    expect(within(row).getByText('1/2 shanghai')).toBeTruthy();
    expect(within(row).getByText('7d4e1a0b3c')).toBeTruthy();
    const sh = within(row).getByTestId('rchip-cluster-shanghai');
    expect(sh.getAttribute('data-weight')).toBe('30');
    expect(sh.className).toContain('tone-warn');
    expect(sh.textContent).toContain('30%');
    expect(within(row).getByTestId('rchip-cluster-hangzhou').className).toContain('tone-muted');
  });

  it('a failed rollout is a red row with its message', async () => {
    const failed = rolloutSummary('bookinfo', 'reviews', {
      phase: 'Failed',
      failed: '7d4e1a0b3c',
      message: 'cluster-hangzhou request-success-rate failed (BelowMin): 80 is below 99',
      weights: [{ cluster: 'cluster-hangzhou', stage: 1, phase: 'RolledBack', weight: 0 }],
    });
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/rollouts': { items: [failed], namespaces: ['bookinfo'] } });
    renderAt('/rollouts');
    const row = await screen.findByTestId('rollout-bookinfo/reviews');
    expect(row.className).toContain('row-error');
    expect(within(row).getByText(/80 is below 99/)).toBeTruthy();
    expect(within(row).getByTestId('rchip-cluster-hangzhou').className).toContain('tone-error');
  });

  it('the namespace filter is in the URL and asked of the server', async () => {
    const { calls } = stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/rollouts': (url: string) => ({
        items: url.includes('namespace=alpha') ? [rolloutSummary('alpha', 'ratings')] : [rolloutSummary('alpha', 'ratings'), rolloutSummary('bookinfo', 'reviews')],
        namespaces: ['alpha', 'bookinfo'],
      }),
    });
    renderAt('/rollouts');
    await screen.findByTestId('rollout-bookinfo/reviews');
    fireEvent.change(screen.getByTestId('filter-namespace'), { target: { value: 'alpha' } });
    await waitFor(() => expect(screen.getByTestId('where').textContent).toBe('/rollouts?namespace=alpha'));
    await waitFor(() => expect(screen.queryByTestId('rollout-bookinfo/reviews')).toBeNull());
    expect(calls).toContain('/api/v1/rollouts?namespace=alpha');
  });

  it('a hub without the Rollout CRD says so instead of an empty list', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/rollouts': { items: [], namespaces: [], unavailable: 'the hub does not serve apps.kurator.dev/v1alpha1 Rollout: install Kurator\u2019s CRDs' } });
    renderAt('/rollouts');
    expect(await screen.findByText('The hub does not serve Rollouts')).toBeTruthy();
    expect(screen.getByText(/install Kurator/)).toBeTruthy();
  });
});

describe('rollout page', () => {
  it('shows the stages as steps with the current one highlighted and each cluster a chip with its weight', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/rollouts/bookinfo/reviews': rolloutDetail() });
    renderAt('/rollouts/bookinfo/reviews');
    const strip = await screen.findByTestId('stage-strip');
    const current = within(strip).getByTestId('stage-0');
    expect(current.getAttribute('aria-current')).toBe('step');
    expect(current.getAttribute('data-state')).toBe('current');
    expect(within(current).getByText('in progress')).toBeTruthy();
    expect(within(current).getByTestId('rchip-cluster-shanghai').getAttribute('data-weight')).toBe('30');
    const next = within(strip).getByTestId('stage-1');
    expect(next.getAttribute('aria-current')).toBeNull();
    expect(within(next).getByText('pending')).toBeTruthy();
    expect(within(next).getByText(/bakes 60 s/)).toBeTruthy();
    expect(screen.getByTestId('rollout-stage').textContent).toBe('1/2 shanghai');
    expect(screen.getByTestId('rollout-strategy').textContent).toContain('10% → 20% → 30% → 40% → 50%');
    expect(screen.getByTestId('rollout-workload').getAttribute('href')).toBe('/workloads/bookinfo/reviews-deployment');
  });

  it('failed gates are red with their message, newest first', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/rollouts/bookinfo/reviews': rolloutDetail() });
    renderAt('/rollouts/bookinfo/reviews');
    const gates = await screen.findAllByTestId('gate');
    expect(gates.map((g) => g.getAttribute('data-passed'))).toEqual(['true', 'false']);
    expect(gates[1].className).toContain('row-error');
    expect(within(gates[1]).getByText('failed: BelowMin')).toBeTruthy();
    expect(within(gates[1]).getByText('97 is below 99').className).toContain('tone-error-fg');
    expect(gates[0].className).not.toContain('row-error');
  });

  it('a rolling-back rollout shows an alert, and its failed clusters red', async () => {
    const d = rolloutDetail({
      summary: rolloutSummary('bookinfo', 'reviews', { phase: 'RollingBack', message: 'cluster-hangzhou request-success-rate failed (BelowMin): 80 is below 99' }),
    });
    d.clusters = [{ name: 'cluster-hangzhou', stage: 1, stageName: 'hangzhou', phase: 'Failed', canaryWeight: 0, iterations: 0, failedChecks: 2 }];
    d.stages = [
      { ...d.stages![0], state: 'rolledback' },
      { ...d.stages![1], state: 'failed' },
    ];
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/rollouts/bookinfo/reviews': d });
    renderAt('/rollouts/bookinfo/reviews');
    const alert = await screen.findByTestId('rollout-message');
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain('Rolling back every cluster');
    expect(alert.textContent).toContain('80 is below 99');
    expect(screen.getByTestId('rcluster-cluster-hangzhou').className).toContain('row-error');
    expect(screen.getByTestId('stage-1').className).toContain('tone-error');
    expect(screen.getByTestId('rchip-cluster-hangzhou').className).toContain('tone-error');
  });

  it('a paused rollout says how to resume it', async () => {
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/rollouts/bookinfo/reviews': rolloutDetail({ summary: rolloutSummary('bookinfo', 'reviews', { paused: true, message: 'paused: no step and no check until resumed' }) }),
    });
    renderAt('/rollouts/bookinfo/reviews');
    const note = await screen.findByTestId('rollout-message');
    expect(note.getAttribute('role')).toBe('status');
    expect(note.textContent).toContain('kurator rollout resume reviews -n bookinfo');
  });

  it('follows the stream: a rollouts change refetches and shows the new weight', async () => {
    let weight = 30;
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/rollouts/bookinfo/reviews': () => {
        const d = rolloutDetail();
        d.clusters![0] = { ...d.clusters![0], canaryWeight: weight };
        return d;
      },
    });
    renderAt('/rollouts/bookinfo/reviews');
    expect((await screen.findByTestId('rchip-cluster-shanghai')).getAttribute('data-weight')).toBe('30');
    weight = 40;
    act(() => FakeEventSource.latest().change(['rollouts']));
    await waitFor(() => expect(screen.getByTestId('rchip-cluster-shanghai').getAttribute('data-weight')).toBe('40'));
  });

  it('a missing rollout shows the server message and hint', async () => {
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/rollouts/bookinfo/nope': { status: 404, body: { error: 'no Rollout bookinfo/nope that kurator-admin may read', hint: 'pick one from the Rollouts list' } },
    });
    renderAt('/rollouts/bookinfo/nope');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('no Rollout bookinfo/nope');
    expect(alert.textContent).toContain('pick one from the Rollouts list');
  });

  it('writes durations in minutes and seconds', () => {
    expect([duration(45), duration(600), duration(250), duration(3720), duration(undefined)]).toEqual(['45s', '10m', '4m 10s', '1h 2m', '–']);
  });
});

describe('workload page and its rollout', () => {
  it('links to the Rollout that targets the workload', async () => {
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/workloads/bookinfo/reviews-deployment': {
        summary: workload('bookinfo', 'reviews'),
        placement: { chosen: null, excluded: null },
        overrides: null,
        failover: null,
        conditions: null,
        events: null,
        rollout: { apiVersion: 'apps.kurator.dev/v1alpha1', kind: 'Rollout', namespace: 'bookinfo', name: 'reviews' },
      },
    });
    renderAt('/workloads/bookinfo/reviews-deployment');
    const link = await screen.findByTestId('workload-rollout');
    expect(link.getAttribute('href')).toBe('/rollouts/bookinfo/reviews');
    expect(link.textContent).toBe('bookinfo/reviews');
  });
});
