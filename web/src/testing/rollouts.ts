// Rollout documents shaped as the server sends them.
import type { RolloutDetail, RolloutSummary } from '../api/types';

export function rolloutSummary(ns: string, name: string, over: Partial<RolloutSummary> = {}): RolloutSummary {
  return {
    namespace: ns,
    name,
    workload: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name },
    binding: `${name}-deployment`,
    strategy: 'canary',
    phase: 'Progressing',
    stage: { index: 0, name: 'shanghai', total: 2 },
    stable: '6b7f9c2a1d',
    canary: '7d4e1a0b3c',
    weights: [
      { cluster: 'cluster-shanghai', stage: 0, phase: 'Progressing', weight: 30 },
      { cluster: 'cluster-hangzhou', stage: 1, phase: 'Pending', weight: 0 },
    ],
    started: '2026-03-14T10:00:00Z',
    ...over,
  };
}

/** rolloutDetail: a canary 10 -> 50 by 10, shanghai at 30% with one failed check, hangzhou waiting. */
export function rolloutDetail(over: Partial<RolloutDetail> = {}): RolloutDetail {
  return {
    summary: rolloutSummary('bookinfo', 'reviews'),
    spec: {
      service: 'reviews:9080',
      strategy: "canary: the canary's share of each cluster's traffic goes 10% → 20% → 30% → 40% → 50%, one step per passing check; then the primary is promoted and takes all traffic back at once",
      steps: [10, 20, 30, 40, 50],
      analysis: 'a check every 30 s; 2 failed checks of a cluster roll the rollout back; no data is a failed check after 30 s of warm-up',
      metrics: [{ name: 'request-success-rate', builtIn: true, range: '≥ 99 %', interval: '60 s' }],
      webhooks: [{ name: 'gate', type: 'confirm-promotion', url: 'http://gate.test/approve' }],
      timeout: 'a canary (or promoted primary) not ready within 600 s fails the run',
    },
    stages: [
      { index: 0, name: 'shanghai', selects: 'clusters cluster-shanghai', clusters: ['cluster-shanghai'], rules: 'all clusters at once; any failed cluster rolls back', state: 'current' },
      { index: 1, name: 'hangzhou', selects: 'clusters cluster-hangzhou', clusters: ['cluster-hangzhou'], rules: 'all clusters at once; bakes 60 s before the next stage; any failed cluster rolls back', state: 'pending' },
    ],
    clusters: [
      { name: 'cluster-shanghai', stage: 0, stageName: 'shanghai', phase: 'Progressing', canaryWeight: 30, iterations: 0, failedChecks: 1, message: 'next check in 20s', lastCheck: '2026-03-14T10:03:00Z' },
      { name: 'cluster-hangzhou', stage: 1, stageName: 'hangzhou', phase: 'Pending', canaryWeight: 0, iterations: 0, failedChecks: 0, message: 'waits for stage shanghai' },
    ],
    gates: [
      { time: '2026-03-14T10:03:00Z', cluster: 'cluster-shanghai', gate: 'request-success-rate', kind: 'metric', passed: true, value: '99.5', reason: 'InRange' },
      { time: '2026-03-14T10:02:00Z', cluster: 'cluster-shanghai', gate: 'request-success-rate', kind: 'metric', passed: false, value: '97', reason: 'BelowMin', message: '97 is below 99' },
    ],
    history: [{ revision: '6b7f9c2a1d', from: '5a5a5a5a5a', phase: 'Succeeded', start: '2026-03-14T09:00:00Z', end: '2026-03-14T09:10:00Z', seconds: 600 }],
    conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }],
    events: null,
    ...over,
  };
}
