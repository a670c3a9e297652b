import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppRoutes } from '../App';
import { consistentLook, revisionText } from '../components/application';
import { FakeEventSource, stubFetch } from '../testing/fakes';
import { applicationDetail, applicationSummary } from '../testing/applications';
import { shortDigest } from './Application';

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

describe('applications list', () => {
  it('is in the main navigation, and says how to make one when there is none', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/applications': { items: [], namespaces: [] } });
    renderAt('/applications');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Applications' }).getAttribute('href')).toBe('/applications');
    expect(await screen.findByText('No Applications yet')).toBeTruthy();
    expect(screen.getByText('kurator app push NAME:VERSION -f DIR')).toBeTruthy();
  });

  it('shows each application with revision, phase, stage, Consistent and a chip per cluster coloured by health with the revision it runs', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/applications': { items: [applicationSummary('plants', 'mes')], namespaces: ['plants'] } });
    renderAt('/applications');
    const row = await screen.findByTestId('application-plants/mes');
    expect(within(row).getByRole('link', { name: 'plants/mes' }).getAttribute('href')).toBe('/applications/plants/mes');
    expect(within(row).getByTestId('app-revision').textContent).toBe('v1.3');
    expect(within(row).getByText('Progressing')).toBeTruthy();
    expect(within(row).getByText('1/2 north')).toBeTruthy();
    expect(within(row).getByText('Releasing').closest('.badge')!.className).toContain('tone-warn');
    expect(within(row).getByText('0/3 current')).toBeTruthy();
    const hz = within(row).getByTestId('mchip-cluster-hangzhou');
    expect(hz.className).toContain('tone-warn');
    expect(hz.getAttribute('data-health')).toBe('Progressing');
    expect(within(hz).getByTestId('mchip-revision').textContent).toBe('v1.3');
    const sh = within(row).getByTestId('mchip-cluster-shanghai');
    expect(sh.className).toContain('tone-ok');
    expect(within(sh).getByTestId('mchip-revision').textContent).toBe('v1.2');
    expect(row.className).not.toContain('row-error');
  });

  it('a failed release is a red row with its message and the failed cluster a red chip', async () => {
    const failed = applicationSummary('plants', 'mes', {
      phase: 'Failed',
      consistent: 'False',
      message: 'cluster-hangzhou readiness failed (NotReady): pods never Ready',
      members: [
        { cluster: 'cluster-hangzhou', running: 'v1.2', target: 'v1.2', phase: 'Failed', health: 'Degraded', message: 'rolled back to v1.2' },
        { cluster: 'cluster-shanghai', running: 'v1.2', target: 'v1.2', phase: 'Pending', health: 'Healthy' },
      ],
    });
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/applications': { items: [failed], namespaces: ['plants'] } });
    renderAt('/applications');
    const row = await screen.findByTestId('application-plants/mes');
    expect(row.className).toContain('row-error');
    expect(within(row).getByText(/pods never Ready/)).toBeTruthy();
    expect(within(row).getByText('Diverged').closest('.badge')!.className).toContain('tone-error');
    expect(within(row).getByTestId('mchip-cluster-hangzhou').className).toContain('tone-error');
    expect(within(row).getByTestId('mchip-cluster-hangzhou').getAttribute('aria-label')).toContain('rolled back to v1.2');
    expect(within(row).getByTestId('mchip-cluster-shanghai').className).toContain('tone-ok');
  });

  it('a cluster behind the release shows both revisions', () => {
    expect([revisionText('v1.2', 'v1.3'), revisionText('v1.3', 'v1.3'), revisionText(undefined, 'v1.3'), revisionText('v1.2')]).toEqual([
      'v1.2 → v1.3',
      'v1.3',
      'nothing yet → v1.3',
      'v1.2',
    ]);
  });

  it('Consistent False is amber during a release and red otherwise', () => {
    expect([consistentLook('True', false).tone, consistentLook('False', true).tone, consistentLook('False', false).tone, consistentLook('Unknown', false).tone]).toEqual([
      'ok',
      'warn',
      'error',
      'muted',
    ]);
  });

  it('the namespace filter is in the URL and asked of the server', async () => {
    const { calls } = stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/applications': (url: string) => ({
        items: url.includes('namespace=alpha') ? [applicationSummary('alpha', 'erp')] : [applicationSummary('alpha', 'erp'), applicationSummary('plants', 'mes')],
        namespaces: ['alpha', 'plants'],
      }),
    });
    renderAt('/applications');
    await screen.findByTestId('application-plants/mes');
    fireEvent.change(screen.getByTestId('filter-namespace'), { target: { value: 'alpha' } });
    await waitFor(() => expect(screen.getByTestId('where').textContent).toBe('/applications?namespace=alpha'));
    await waitFor(() => expect(screen.queryByTestId('application-plants/mes')).toBeNull());
    expect(calls).toContain('/api/v1/applications?namespace=alpha');
  });

  it('a hub without the Application CRD says so instead of an empty list', async () => {
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/applications': { items: [], namespaces: [], unavailable: 'the hub does not serve apps.kurator.dev/v1alpha1 Application: install Kurator\u2019s CRDs' },
    });
    renderAt('/applications');
    expect(await screen.findByText('The hub does not serve Applications')).toBeTruthy();
    expect(screen.getByText(/install Kurator/)).toBeTruthy();
  });

  it('follows the stream: an applications change refetches and shows the new revision', async () => {
    let revision = 'v1.3';
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/applications': () => ({ items: [applicationSummary('plants', 'mes', { revision })], namespaces: ['plants'] }),
    });
    renderAt('/applications');
    expect((await screen.findByTestId('app-revision')).textContent).toBe('v1.3');
    revision = 'v1.4';
    act(() => FakeEventSource.latest().change(['applications']));
    await waitFor(() => expect(screen.getByTestId('app-revision').textContent).toBe('v1.4'));
  });
});

describe('application page', () => {
  it('says the source in words and shows the stages as steps, the current highlighted, each cluster a chip with what it runs and is given', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/applications/plants/mes': applicationDetail() });
    renderAt('/applications/plants/mes');
    expect((await screen.findByTestId('app-source')).textContent).toBe('package mes:v1.3');
    expect(screen.getByTestId('app-revision').textContent).toBe('v1.3 (sha256:3f9c2a1d0b8e)');
    expect(screen.getByTestId('app-stage').textContent).toBe('1/2 north');
    const strip = screen.getByTestId('stage-strip');
    const current = within(strip).getByTestId('stage-0');
    expect(current.getAttribute('aria-current')).toBe('step');
    expect(within(current).getByText('in progress')).toBeTruthy();
    const hz = within(current).getByTestId('achip-cluster-hangzhou');
    expect(hz.className).toContain('tone-warn');
    expect(within(hz).getByTestId('achip-revision').textContent).toBe('v1.2 → v1.3');
    expect(within(hz).getByRole('link').getAttribute('href')).toBe('/clusters/cluster-hangzhou');
    const next = within(strip).getByTestId('stage-1');
    expect(next.getAttribute('aria-current')).toBeNull();
    expect(within(next).getByText(/waits for approval \(kurator app promote\)/)).toBeTruthy();
    expect(within(next).getByTestId('achip-cluster-shanghai').className).toContain('tone-muted');
  });

  it('shows each cluster\u2019s image copies as progress bars, failures red with their message', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/applications/plants/mes': applicationDetail() });
    renderAt('/applications/plants/mes');
    const box = await screen.findByTestId('images-cluster-hangzhou');
    expect(box.textContent).toContain('1/4 synced to 127.0.0.1:5001');
    const imgs = within(box).getAllByTestId('image');
    expect(imgs.map((i) => i.getAttribute('data-phase'))).toEqual(['Synced', 'Copying', 'Failed', 'Skipped']);
    expect(within(imgs[0]).getByRole('meter').getAttribute('aria-valuenow')).toBe('100');
    expect(within(imgs[1]).getByTestId('image-bytes').textContent).toBe('16 MiB of 64 MiB');
    expect(within(imgs[1]).getByRole('meter').getAttribute('aria-valuenow')).toBe('25');
    expect(imgs[2].className).toContain('tone-error');
    expect(within(imgs[2]).getByText(/connection refused/).className).toContain('tone-error-fg');
    expect(within(imgs[3]).queryByRole('meter')).toBeNull();
    expect(within(imgs[3]).getByText(/left as the objects name it/)).toBeTruthy();
    expect(screen.queryByTestId('images-cluster-shanghai')).toBeNull();
  });

  it('lists the conditions with their messages, Consistent first, and the gate verdicts newest first, failures red', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/applications/plants/mes': applicationDetail() });
    renderAt('/applications/plants/mes');
    const conds = await screen.findByTestId('conditions');
    const rows = within(conds).getAllByRole('row').slice(1);
    expect(rows[0].textContent).toContain('Consistent');
    expect(rows[0].textContent).toContain('v1.3 on cluster-hangzhou');
    const gates = screen.getAllByTestId('gate');
    expect(gates.map((g) => g.getAttribute('data-passed'))).toEqual(['true', 'false']);
    expect(gates[1].className).toContain('row-error');
    expect(within(gates[1]).getByText('96.2 is below 99').className).toContain('tone-error-fg');
  });

  it('shows the release history and the AppVersions with digest, size, who runs each and age', async () => {
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/applications/plants/mes': applicationDetail() });
    renderAt('/applications/plants/mes');
    const v13 = await screen.findByTestId('version-v1.3');
    expect(within(v13).getByText('current')).toBeTruthy();
    expect(within(v13).getByText('sha256:3f9c2a1d0b8e').getAttribute('title')).toContain('sha256:3f9c2a1d0b8e7f6a');
    expect(within(v13).getByText('2.1 KiB')).toBeTruthy();
    expect(within(v13).getByText('1 warning', { exact: false })).toBeTruthy();
    const v12 = screen.getByTestId('version-v1.2');
    expect(within(v12).queryByText('current')).toBeNull();
    expect(within(v12).getByText('cluster-frankfurt')).toBeTruthy();
    expect(within(v12).getByText('cluster-shanghai')).toBeTruthy();
    expect(within(v12).getByText(/ago$/)).toBeTruthy();
    const history = screen.getByTestId('rollout-history');
    expect(within(history).getByText('v1.2')).toBeTruthy();
    expect(within(history).getByText('4m')).toBeTruthy();
  });

  it('says why no version shows to a user who may not list them', async () => {
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/applications/plants/mes': applicationDetail({ versions: [], versionsHidden: 'viewer may not list appversions.apps.kurator.dev in namespace plants: ask a hub admin for it' }),
    });
    renderAt('/applications/plants/mes');
    expect(await screen.findByText(/viewer may not list appversions/)).toBeTruthy();
    expect(screen.queryByTestId('app-versions')).toBeNull();
  });

  it('a failed release shows an alert, and the rolled-back cluster red in the strip and the table', async () => {
    const d = applicationDetail({
      summary: applicationSummary('plants', 'mes', { phase: 'Failed', message: 'cluster-hangzhou readiness failed (NotReady): pods never Ready' }),
    });
    d.stages = [{ ...d.stages![0], state: 'failed' }, d.stages![1]];
    d.clusters = [{ ...d.clusters![0], phase: 'Failed', target: 'v1.2', running: 'v1.3', healthy: false, health: 'Degraded', images: [], message: 'rolled back to v1.2' }, d.clusters![1]];
    stubFetch({ '/api/v1/whoami': whoami, '/api/v1/applications/plants/mes': d });
    renderAt('/applications/plants/mes');
    const alert = await screen.findByTestId('app-message');
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain('The release failed and was rolled back');
    expect(alert.textContent).toContain('pods never Ready');
    expect(screen.getByTestId('stage-0').className).toContain('tone-error');
    expect(screen.getByTestId('achip-cluster-hangzhou').className).toContain('tone-error');
    expect(screen.getByTestId('acluster-cluster-hangzhou').className).toContain('row-error');
    expect(screen.getByTestId('acluster-cluster-frankfurt').className).not.toContain('row-error');
  });

  it('a paused release says how to resume it', async () => {
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/applications/plants/mes': applicationDetail({ summary: applicationSummary('plants', 'mes', { paused: true, message: 'paused: no step and no check until resumed' }) }),
    });
    renderAt('/applications/plants/mes');
    const note = await screen.findByTestId('app-message');
    expect(note.getAttribute('role')).toBe('status');
    expect(note.textContent).toContain('kurator app resume mes -n plants');
  });

  it('follows the stream: an applications change refetches and shows the copy further along', async () => {
    let bytes = 16 << 20;
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/applications/plants/mes': () => {
        const d = applicationDetail();
        d.clusters![0].images![1] = { ...d.clusters![0].images![1], bytes };
        return d;
      },
    });
    renderAt('/applications/plants/mes');
    const copying = async () => within(await screen.findByTestId('images-cluster-hangzhou')).getAllByTestId('image')[1];
    expect(within(await copying()).getByRole('meter').getAttribute('aria-valuenow')).toBe('25');
    bytes = 48 << 20;
    act(() => FakeEventSource.latest().change(['applications']));
    await waitFor(async () => expect(within(await copying()).getByRole('meter').getAttribute('aria-valuenow')).toBe('75'));
  });

  it('a missing application shows the server message and hint', async () => {
    stubFetch({
      '/api/v1/whoami': whoami,
      '/api/v1/applications/plants/nope': { status: 404, body: { error: 'no Application plants/nope that kurator-admin may read', hint: 'pick one from the Applications list' } },
    });
    renderAt('/applications/plants/nope');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('no Application plants/nope');
    expect(alert.textContent).toContain('pick one from the Applications list');
  });

  it('writes digests short, as the CLI does', () => {
    expect([shortDigest('sha256:3f9c2a1d0b8e7f6a5c4d'), shortDigest('sha256:abc'), shortDigest(undefined)]).toEqual(['sha256:3f9c2a1d0b8e', 'sha256:abc', '']);
  });
});
