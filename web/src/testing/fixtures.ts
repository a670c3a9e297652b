// Documents shaped as the server sends them (also served by
// scripts/fixture-server.mjs for screenshots without a fleet).
import type { ClusterSummary, Overview, WorkloadList, WorkloadSummary } from '../api/types';

const GiB = 1024 ** 3;

export function cluster(name: string, over: Partial<ClusterSummary> = {}): ClusterSummary {
  return {
    name,
    namespace: 'kurator-system',
    region: 'cn-east',
    provider: 'kwok',
    fleet: 'quickstart',
    ready: { type: 'Ready', status: 'True', reason: 'ClusterReady', message: 'cluster is healthy and ready to accept workloads', since: '2026-12-01T11:00:00Z' },
    kubernetesVersion: 'v1.37.2',
    nodes: { used: 3, total: 3 },
    pods: { used: 6, total: 6 },
    cpu: { used: 2500, total: 24000 },
    memory: { used: 6 * GiB, total: 96 * GiB },
    failedPods: 0,
    workloads: 1,
    ...over,
  };
}

export function overview(clusters: ClusterSummary[]): Overview {
  return {
    totals: {
      clusters: clusters.length,
      readyClusters: clusters.filter((c) => c.ready.status === 'True').length,
      nodes: { used: 9, total: 9 },
      pods: { used: 10, total: 10 },
      cpu: { used: 7500, total: 72000 },
      memory: { used: 18 * GiB, total: 288 * GiB },
      workloads: 1,
      healthyWorkloads: 1,
    },
    fleets: [{ namespace: 'kurator-system', name: 'quickstart', clusters: clusters.map((c) => c.name), valid: { type: 'Valid', status: 'True' } }],
    clusters,
    problems: null,
  };
}

export function workload(ns: string, name: string, over: Partial<WorkloadSummary> = {}): WorkloadSummary {
  return {
    ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name },
    binding: `${name}-deployment`,
    policy: { kind: 'PropagationPolicy', namespace: ns, name },
    fleet: 'quickstart',
    desired: 10,
    ready: 10,
    health: 'Healthy',
    clusters: [
      { name: 'cluster-hangzhou', replicas: 6, ready: 6, health: 'Healthy', applied: true },
      { name: 'cluster-shanghai', replicas: 4, ready: 4, health: 'Healthy', applied: true },
    ],
    ...over,
  };
}

export function workloadList(items: WorkloadSummary[]): WorkloadList {
  return {
    items,
    namespaces: [...new Set(items.map((w) => w.ref.namespace ?? ''))].sort(),
    clusters: ['cluster-frankfurt', 'cluster-hangzhou', 'cluster-shanghai'],
    fleets: ['quickstart'],
  };
}
