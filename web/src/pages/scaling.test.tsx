import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppRoutes } from '../App';
import { changeTone, failedText, verdictLook } from '../components/scaling';
import { conditionTone } from '../components/status';
import { FakeEventSource, stubFetch } from '../testing/fakes';
import { execution, nodePool, scalePolicyDetail, scalePolicySummary } from '../testing/scaling';

const whoami = { user: 'kurator-admin', mode: 'kubeconfig', hub: 'https://127.0.0.1:6443' };
const noPools = { items: [], namespaces: [] };

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

describe('scaling list', () => {
  it('is in the main navigation, and says how to make a policy when there is none', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/scalepolicies': { items: [], namespaces: [] }, '/api/v1/nodepools': noPools });
    renderAt('/scaling');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Scaling' }).getAttribute('href')).toBe('/scaling');
    expect(await screen.findByText('No ScalePolicies yet')).toBeTruthy();
    expect(screen.getByText('kurator scale apply -f promo.json')).toBeTruthy();
  });

  it('shows each policy with its trigger in words, phase colour, value against threshold, last scale and the last result', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/scalepolicies': { items: [scalePolicySummary('default', 'promo-scale-policy')], namespaces: ['default'] }, '/api/v1/nodepools': noPools });
    renderAt('/scaling');
    const row = await screen.findByTestId('scalepolicy-default/promo-scale-policy');
    expect(within(row).getByRole('link', { name: 'default/promo-scale-policy' }).getAttribute('href')).toBe('/scaling/default/promo-scale-policy');
    expect(within(row).getByTestId('sp-trigger').textContent).toBe('cpu above 70% for 5m in north-cluster, south-cluster');
    expect(within(row).getByText('ScaledOut').closest('.badge')!.className).toContain('tone-warn');
    const vt = within(row).getByTestId('value-vs-threshold');
    expect(vt.textContent).toContain('81.2%');
    expect(vt.textContent).toContain('/ 70%');
    expect(vt.getAttribute('data-over')).toBe('true');
    expect(within(vt).getByText('81.2%').className).toContain('tone-error-fg');
    const last = within(row).getByTestId('sp-last');
    expect(within(last).getByText('In progress').closest('.badge')!.className).toContain('tone-warn');
    expect(last.textContent).toContain('#2 manual, scale out');
    expect(within(last).getByTestId('sp-failed').textContent).toBe('1 failed pod');
    expect(row.className).not.toContain('row-error');
  });

  it('a failed last execution is a red row with its message', async () => {
    const failed = scalePolicySummary('default', 'promo-scale-policy', {
      last: execution({ result: 'Failed', message: '1 pod not running after 10m' }),
      message: 'execution 2 failed: 1 pod not running after 10m',
    });
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/scalepolicies': { items: [failed], namespaces: ['default'] }, '/api/v1/nodepools': noPools });
    renderAt('/scaling');
    const row = await screen.findByTestId('scalepolicy-default/promo-scale-policy');
    expect(row.className).toContain('row-error');
    expect(within(row).getByText('Failed').closest('.badge')!.className).toContain('tone-error');
    expect(within(row).getByText(/1 pod not running after 10m/).className).toContain('tone-error-fg');
  });

  it('a cron policy shows its schedule instead of a value', async () => {
    const cron = scalePolicySummary('default', 'nightly', { trigger: 'cron', schedule: '0 8 * * 1-5 Asia/Shanghai', threshold: undefined, value: undefined, over: false, phase: 'Watching', last: undefined });
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/scalepolicies': { items: [cron], namespaces: ['default'] }, '/api/v1/nodepools': noPools });
    renderAt('/scaling');
    const row = await screen.findByTestId('scalepolicy-default/nightly');
    expect(within(row).getByText('0 8 * * 1-5 Asia/Shanghai')).toBeTruthy();
    expect(within(row).getByText('Watching').closest('.badge')!.className).toContain('tone-ok');
    expect(within(row).getByText('none yet')).toBeTruthy();
  });

  it('lists node pools by cluster with Ready of desired, bounds and health; a degraded pool is red with its nodes not Ready', async () => {
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/scalepolicies': { items: [], namespaces: [] },
      '/api/v1/nodepools': {
        items: [
          nodePool('north-cluster', { ready: 4, health: 'Degraded', message: '4 of 5 nodes Ready', notReady: [{ cluster: 'north-cluster', name: 'north-cluster-worker-pool-5', reason: 'kubelet stopped' }] }),
          nodePool('south-cluster', { desired: 3, nodes: 3, ready: 3 }),
        ],
        namespaces: ['kurator-system'],
      },
    });
    renderAt('/scaling');
    const north = await screen.findByTestId('nodepool-north-cluster-worker-pool');
    expect(north.className).toContain('row-error');
    expect(within(north).getByTestId('np-ready').textContent).toBe('4/5');
    expect(within(north).getByText('Degraded').closest('.badge')!.className).toContain('tone-error');
    expect(within(north).getByTestId('np-not-ready').textContent).toBe('not Ready: north-cluster-worker-pool-5 (kubelet stopped)');
    expect(within(north).getByRole('link', { name: 'north-cluster' }).getAttribute('href')).toBe('/clusters/north-cluster');
    const south = screen.getByTestId('nodepool-south-cluster-worker-pool');
    expect(within(south).getByTestId('np-ready').textContent).toBe('3/3');
    expect(within(south).getByText('2–5')).toBeTruthy();
    expect(within(south).getByText('Healthy').closest('.badge')!.className).toContain('tone-ok');
    expect(screen.getByText('0 scale policies, 2 node pools')).toBeTruthy();
  });

  it('the namespace filter is in the URL and asked of the server', async () => {
    const { calls } = stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/scalepolicies': (url: string) => ({
        items: url.includes('namespace=shop') ? [scalePolicySummary('shop', 'b')] : [scalePolicySummary('default', 'a'), scalePolicySummary('shop', 'b')],
        namespaces: ['default', 'shop'],
      }),
      '/api/v1/nodepools': noPools,
    });
    renderAt('/scaling');
    await screen.findByTestId('scalepolicy-default/a');
    fireEvent.change(screen.getByTestId('filter-namespace'), { target: { value: 'shop' } });
    await waitFor(() => expect(screen.getByTestId('where').textContent).toBe('/scaling?namespace=shop'));
    await waitFor(() => expect(screen.queryByTestId('scalepolicy-default/a')).toBeNull());
    expect(calls).toContain('/api/v1/scalepolicies?namespace=shop');
  });

  it('a hub without the CRDs says so instead of an empty list', async () => {
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/scalepolicies': { items: [], namespaces: [], unavailable: 'the hub does not serve autoscaling.kurator.dev/v1alpha1 ScalePolicy: install Kurator\u2019s CRDs' },
      '/api/v1/nodepools': { items: [], namespaces: [], unavailable: 'the hub does not serve autoscaling.kurator.dev/v1alpha1 NodePool' },
    });
    renderAt('/scaling');
    expect(await screen.findByText('The hub does not serve ScalePolicies')).toBeTruthy();
    expect(await screen.findByText('the hub does not serve autoscaling.kurator.dev/v1alpha1 NodePool')).toBeTruthy();
  });

  it('follows the stream: a scaling change refetches and shows the new phase', async () => {
    let phase = 'ScaledOut';
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/scalepolicies': () => ({ items: [scalePolicySummary('default', 'promo-scale-policy', { phase })], namespaces: ['default'] }),
      '/api/v1/nodepools': noPools,
    });
    renderAt('/scaling');
    await waitFor(() => expect(screen.getByTestId('scalepolicy-default/promo-scale-policy').getAttribute('data-phase')).toBe('ScaledOut'));
    phase = 'CoolingDown';
    act(() => FakeEventSource.latest().change(['scaling']));
    await waitFor(() => expect(screen.getByTestId('scalepolicy-default/promo-scale-policy').getAttribute('data-phase')).toBe('CoolingDown'));
  });
});

describe('scale policy page', () => {
  it('says the trigger and action in words, and each cluster window with its verdict colour', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/scalepolicies/default/promo-scale-policy': scalePolicyDetail() });
    renderAt('/scaling/default/promo-scale-policy');
    expect((await screen.findByTestId('sp-trigger')).textContent).toBe('cpu above 70% for 5m in north-cluster, south-cluster');
    expect(screen.getByTestId('sp-actions').textContent).toContain('node pool worker-pool: up to 5 nodes (2 after the scale-in) in each target cluster');
    expect(screen.getByTestId('sp-phase').getAttribute('data-phase')).toBe('ScaledOut');
    const north = screen.getByTestId('window-north-cluster');
    expect(within(north).getByText('81.2%').className).toContain('tone-error-fg');
    expect(within(north).getByText('78.0%')).toBeTruthy();
    expect(within(north).getByText('84.5%')).toBeTruthy();
    expect(within(north).getByText('Above').closest('.badge')!.className).toContain('tone-error');
    const south = screen.getByTestId('window-south-cluster');
    expect(within(south).getByText('Mixed').closest('.badge')!.className).toContain('tone-warn');
    expect(screen.getByText('the console\u2019s JSON (fields at the top level)')).toBeTruthy();
  });

  it('shows executions newest first, each change as from → to with its ready count, and a failed pod in red', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/scalepolicies/default/promo-scale-policy': scalePolicyDetail() });
    renderAt('/scaling/default/promo-scale-policy');
    const timeline = await screen.findByTestId('sp-executions');
    const items = within(timeline).getAllByRole('listitem').filter((li) => li.getAttribute('data-testid')?.startsWith('execution-'));
    expect(items.map((li) => li.getAttribute('data-testid'))).toEqual(['execution-2', 'execution-1']);
    const newest = screen.getByTestId('execution-2');
    expect(newest.className).toContain('tone-warn');
    expect(newest.textContent).toContain('why: kurator scale trigger');
    const changes = within(newest).getAllByTestId('change');
    expect(changes.map((c) => c.textContent)).toEqual(['north-cluster worker-pool3 → 5(4/5 Ready)', 'Deployment default/order-service20 → 30(27/30 ready)']);
    expect(within(changes[0]).getByRole('meter').getAttribute('aria-valuenow')).toBe('80');
    const pod = within(newest).getByTestId('failed-pod');
    expect(pod.textContent).toContain('north-cluster/default/order-service-7d9c-x2: ImagePullBackOff');
    expect(pod.className).toContain('tone-error-fg');
    const older = screen.getByTestId('execution-1');
    expect(older.className).toContain('tone-ok');
    expect(within(older).getByText('Succeeded')).toBeTruthy();
    expect(within(older).getByText('in 2m')).toBeTruthy();
    expect(within(older).getByTestId('change').getAttribute('data-done')).toBe('true');
  });

  it('a failed execution turns its unfinished changes red and says so at the top', async () => {
    const failed = execution({ result: 'Failed', message: '1 pod not running after 10m', failedNodes: [{ cluster: 'north-cluster', name: 'north-cluster-worker-pool-5', reason: 'NotReady' }] });
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/scalepolicies/default/promo-scale-policy': scalePolicyDetail({
        summary: scalePolicySummary('default', 'promo-scale-policy', { last: failed, message: 'execution 2 failed: 1 pod not running after 10m' }),
        executions: [failed],
      }),
    });
    renderAt('/scaling/default/promo-scale-policy');
    const msg = await screen.findByTestId('sp-message');
    expect(msg.getAttribute('role')).toBe('alert');
    expect(msg.textContent).toContain('The last execution failed');
    const e = screen.getByTestId('execution-2');
    expect(e.className).toContain('tone-error');
    expect(within(e).getAllByTestId('change')[0].className).toContain('tone-error');
    expect(within(e).getByTestId('failed-node').textContent).toContain('north-cluster/north-cluster-worker-pool-5: NotReady');
  });

  it('shows the node pools it scales, and the conditions with their messages', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/scalepolicies/default/promo-scale-policy': scalePolicyDetail() });
    renderAt('/scaling/default/promo-scale-policy');
    const north = await screen.findByTestId('nodepool-north-cluster-worker-pool');
    expect(within(north).getByTestId('np-ready').textContent).toBe('4/5');
    expect(within(north).getByText('Progressing').closest('.badge')!.className).toContain('tone-warn');
    const conds = screen.getByTestId('conditions');
    expect(within(conds).getByText('Ready')).toBeTruthy();
    expect(within(conds).getByText('the policy can act')).toBeTruthy();
  });

  it('a predictive policy shows its forecast: the crossing, when it scales out and the model error', async () => {
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/scalepolicies/default/promo-scale-policy': scalePolicyDetail({
        summary: scalePolicySummary('default', 'promo-scale-policy', { trigger: 'predictive' }),
        forecast: { model: 'holt-winters α=0.5', cluster: 'north-cluster', crossingTime: '2099-01-01T11:00:00Z', scaleAt: '2099-01-01T10:50:00Z', leadTime: '10m', peak: '92.0%', error: '4.1%' },
      }),
    });
    renderAt('/scaling/default/promo-scale-policy');
    const f = await screen.findByTestId('sp-forecast');
    expect(f.textContent).toContain('north-cluster crosses the threshold');
    expect(f.textContent).toContain('(10m ahead)');
    expect(f.textContent).toContain('92.0%');
    expect(f.textContent).toContain('4.1%');
  });

  it('a user who may not list node pools is told why none shows', async () => {
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/scalepolicies/default/promo-scale-policy': scalePolicyDetail({ nodePools: [], nodePoolsHidden: 'viewer may not list nodepools.autoscaling.kurator.dev in namespace kurator-system' }),
    });
    renderAt('/scaling/default/promo-scale-policy');
    expect(await screen.findByText(/viewer may not list nodepools/)).toBeTruthy();
  });

  it('a policy one may not read says what the server said, with its hint', async () => {
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/scalepolicies/default/nope': { status: 404, body: { error: 'no ScalePolicy default/nope that viewer may read', hint: 'pick one from the Scaling page' } },
    });
    renderAt('/scaling/default/nope');
    expect(await screen.findByText('no ScalePolicy default/nope that viewer may read')).toBeTruthy();
    expect(screen.getByText('pick one from the Scaling page')).toBeTruthy();
  });
});

describe('scaling words and colours', () => {
  it('verdicts: Above red, Mixed amber, Below green, no data grey', () => {
    expect(['Above', 'Mixed', 'Below', 'NoData', ''].map((v) => verdictLook(v).tone)).toEqual(['error', 'warn', 'ok', 'muted', 'muted']);
  });

  it('a change is green when done, amber while its execution runs, red once it failed', () => {
    const c = execution().changes![0];
    expect([changeTone({ ...c, done: true }, 'Failed'), changeTone(c, 'InProgress'), changeTone(c, 'Failed')]).toEqual(['ok', 'warn', 'error']);
  });

  it('a ScalePolicy Conflict condition is good when False and bad when True', () => {
    expect([conditionTone({ type: 'Conflict', status: 'False' }), conditionTone({ type: 'Conflict', status: 'True' })]).toEqual(['ok', 'error']);
  });

  it('a failed object reads as the CLI writes it', () => {
    expect(failedText({ cluster: 'north-cluster', namespace: 'default', name: 'p', reason: 'Evicted' })).toBe('north-cluster/default/p: Evicted');
    expect(failedText({ cluster: 'north-cluster', name: 'n1' })).toBe('north-cluster/n1');
  });
});
