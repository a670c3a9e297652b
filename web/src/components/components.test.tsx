import { fireEvent, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import type { WorkloadCluster } from '../api/types';
import { collapseDiff, DiffView } from './DiffView';
import { DistributionBar, segments } from './DistributionBar';
import { conditionTone, HealthBadge, healthLook } from './status';
import { UsageBar, usageTone } from './UsageBar';

const wc = (name: string, replicas: number, health: WorkloadCluster['health'] = 'Healthy', extra: Partial<WorkloadCluster> = {}): WorkloadCluster => ({
  name,
  replicas,
  ready: replicas,
  health,
  applied: true,
  ...extra,
});

describe('DistributionBar', () => {
  it('sizes segments by replicas: 6 and 4 of 10 are 60% and 40%', () => {
    const s = segments([wc('cluster-hangzhou', 6), wc('cluster-shanghai', 4)]);
    expect(s.map((x) => Math.round(x.share))).toEqual([60, 40]);
  });

  it('gives equal shares when no cluster has replicas (a ConfigMap)', () => {
    const s = segments([wc('a', 0), wc('b', 0), wc('c', 0), wc('d', 0)]);
    expect(s.map((x) => x.share)).toEqual([25, 25, 25, 25]);
  });

  it('labels each segment with the cluster and its count, and a tooltip with the share', () => {
    render(<DistributionBar clusters={[wc('cluster-hangzhou', 6), wc('cluster-shanghai', 4, 'Progressing', { ready: 2 })]} />);
    const hz = screen.getByTestId('dist-cluster-hangzhou');
    expect(hz.textContent).toBe('hangzhou6');
    expect(hz.getAttribute('title')).toBe('cluster-hangzhou: 6 of 10 replicas (60%), 6 ready · Healthy');
    const sh = screen.getByTestId('dist-cluster-shanghai');
    expect(sh.getAttribute('title')).toContain('4 of 10 replicas (40%), 2 ready · Progressing');
    expect(sh.className).toContain('tone-warn');
    expect(hz.style.flexGrow).toBe('60');
  });

  it('says a workload on no cluster is not placed', () => {
    render(<DistributionBar clusters={[]} />);
    expect(screen.getByText('not placed')).toBeTruthy();
  });

  it('an evicting member is shown grey with the word in its tooltip', () => {
    render(<DistributionBar clusters={[wc('cluster-frankfurt', 3, 'Degraded', { evicting: true, message: 'cluster NotReady' })]} />);
    const seg = screen.getByTestId('dist-cluster-frankfurt');
    expect(seg.className).toContain('tone-muted');
    expect(seg.getAttribute('title')).toContain('being evicted · cluster NotReady');
  });

  it('links segments to cluster pages when asked', () => {
    render(
      <MemoryRouter>
        <DistributionBar clusters={[wc('cluster-hangzhou', 6)]} link />
      </MemoryRouter>,
    );
    expect(within(screen.getByTestId('dist-cluster-hangzhou')).getByRole('link').getAttribute('href')).toBe('/clusters/cluster-hangzhou');
  });
});

describe('UsageBar', () => {
  it('shows requested of allocatable CPU in cores with the percent', () => {
    render(<UsageBar label="CPU" unit="cpu" usage={{ used: 2500, total: 8000 }} />);
    expect(screen.getByText('2.5 cores / 8 cores')).toBeTruthy();
    expect(screen.getByText('31%')).toBeTruthy();
    const meter = screen.getByRole('meter', { name: 'CPU' });
    expect(meter.getAttribute('aria-valuenow')).toBe('31');
    expect((meter.firstChild as HTMLElement).style.width).toBe('31%');
  });

  it('shows memory in binary units and turns red above 90%', () => {
    render(<UsageBar label="Memory" unit="memory" usage={{ used: 30 * 1024 ** 3, total: 32 * 1024 ** 3 }} />);
    expect(screen.getByText('30 GiB / 32 GiB')).toBeTruthy();
    expect(screen.getByRole('meter', { name: 'Memory' }).className).toContain('tone-error');
  });

  it('an overcommitted bar is full, not wider than its track', () => {
    render(<UsageBar label="CPU" unit="cpu" usage={{ used: 12000, total: 8000 }} />);
    expect(screen.getByText('150%')).toBeTruthy();
    expect((screen.getByRole('meter').firstChild as HTMLElement).style.width).toBe('100%');
  });

  it.each([
    ['75% is still green', 75, 'ok'],
    ['76% is amber', 76, 'warn'],
    ['91% is red', 91, 'error'],
  ])('%s', (_n, pct, tone) => expect(usageTone(pct)).toBe(tone));
});

describe('health and condition colours', () => {
  it.each([
    ['Healthy is green', 'Healthy', 'ok'],
    ['Progressing is amber', 'Progressing', 'warn'],
    ['Degraded is red', 'Degraded', 'error'],
    ['Unscheduled is red', 'Unscheduled', 'error'],
    ['Unknown is grey', 'Unknown', 'muted'],
    ['a health the UI does not know is grey, with its own word', 'Suspended', 'muted'],
  ])('%s', (_n, health, tone) => expect(healthLook(health).tone).toBe(tone));

  it('a badge says the health in words, not colour alone, and the message in its title', () => {
    render(<HealthBadge health="Degraded" message="apply failed on cluster-frankfurt" />);
    const badge = screen.getByText('Degraded');
    expect(badge.className).toContain('tone-error');
    expect(badge.getAttribute('title')).toBe('Degraded: apply failed on cluster-frankfurt');
    expect(badge.querySelector('svg')).toBeTruthy();
  });

  it.each([
    ['Ready True is good', 'Ready', 'True', 'ok'],
    ['Ready False is bad', 'Ready', 'False', 'error'],
    ['MemoryPressure True is bad', 'MemoryPressure', 'True', 'error'],
    ['MemoryPressure False is good', 'MemoryPressure', 'False', 'ok'],
    ['Unknown is amber', 'Ready', 'Unknown', 'warn'],
  ] as const)('%s', (_n, type, status, tone) => expect(conditionTone({ type, status })).toBe(tone));
});

describe('DiffView', () => {
  const same = (n: number, from = 1) => Array.from({ length: n }, (_, i) => ({ op: ' ' as const, text: `line ${from + i}` }));

  it('keeps 3 lines of context around a change and folds the rest', () => {
    const diff = [...same(10), { op: '-' as const, text: 'image: nginx:1.25' }, { op: '+' as const, text: 'image: mirror/nginx:1.25' }, ...same(10, 11)];
    const hunks = collapseDiff(diff, 3);
    expect(hunks.map((h) => [h.kind, h.lines.length])).toEqual([
      ['gap', 7],
      ['lines', 8],
      ['gap', 7],
    ]);
  });

  it('numbers template and rendered lines separately', () => {
    const hunks = collapseDiff([{ op: ' ', text: 'a' }, { op: '-', text: 'b' }, { op: '+', text: 'c' }, { op: ' ', text: 'd' }]);
    expect(hunks[0].lines.map((l) => [l.old, l.new])).toEqual([
      [1, 1],
      [2, undefined],
      [undefined, 2],
      [3, 3],
    ]);
  });

  it('a single unchanged line between contexts is not folded', () => {
    const diff = [{ op: '+' as const, text: 'x' }, ...same(7), { op: '+' as const, text: 'y' }];
    expect(collapseDiff(diff, 3).map((h) => h.kind)).toEqual(['lines']);
  });

  it('shows + and - lines coloured and expands a fold on click', () => {
    const diff = [...same(6), { op: '+' as const, text: 'replicas: 3' }];
    const { container } = render(<DiffView diff={diff} />);
    expect(container.querySelector('.diff-add')?.textContent).toContain('replicas: 3');
    const fold = screen.getByRole('button', { name: 'Show 3 unchanged lines' });
    expect(screen.queryByText('line 1')).toBeNull();
    fireEvent.click(fold);
    expect(screen.getByText('line 1')).toBeTruthy();
    expect(screen.queryByRole('button')).toBeNull();
  });
});
