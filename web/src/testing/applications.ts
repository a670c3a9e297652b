// Application documents shaped as the server sends them: the MES release
// of seed 000, v1.3 in its first stage (north: hangzhou), v1.2 everywhere
// else, the second stage waiting for approval.
import type { ApplicationCluster, ApplicationDetail, ApplicationSummary } from '../api/types';

export function applicationSummary(ns: string, name: string, over: Partial<ApplicationSummary> = {}): ApplicationSummary {
  return {
    namespace: ns,
    name,
    source: `package ${name}:v1.3`,
    fleets: ['plants'],
    revision: 'v1.3',
    digest: 'sha256:3f9c2a1d0b8e7f6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b',
    phase: 'Progressing',
    stage: { index: 0, name: 'north', total: 2 },
    consistent: 'False',
    consistentMessage: 'a release is in progress: v1.2 on cluster-frankfurt, cluster-shanghai; v1.3 on cluster-hangzhou',
    clusters: 3,
    current: 0,
    members: [
      { cluster: 'cluster-hangzhou', running: 'v1.3', target: 'v1.3', phase: 'Progressing', health: 'Progressing', message: 'waits for 2 of 3 pods' },
      { cluster: 'cluster-frankfurt', running: 'v1.2', target: 'v1.2', phase: 'Pending', health: 'Healthy' },
      { cluster: 'cluster-shanghai', running: 'v1.2', target: 'v1.2', phase: 'Pending', health: 'Healthy' },
    ],
    started: '2026-03-14T10:00:00Z',
    created: '2026-03-01T09:00:00Z',
    ...over,
  };
}

function cluster(name: string, stage: number, over: Partial<ApplicationCluster> = {}): ApplicationCluster {
  return {
    name,
    syncPolicy: 'policy-0',
    stage,
    stageName: stage === 0 ? 'north' : 'others',
    phase: 'Pending',
    target: 'v1.2',
    running: 'v1.2',
    healthy: true,
    health: 'Healthy',
    registry: `127.0.0.1:500${stage + 1}`,
    imagesSynced: 0,
    images: [],
    ...over,
  };
}

export function applicationDetail(over: Partial<ApplicationDetail> = {}): ApplicationDetail {
  return {
    summary: applicationSummary('plants', 'mes'),
    stages: [
      { index: 0, name: 'north', selects: 'clusters cluster-hangzhou', clusters: ['cluster-hangzhou'], rules: 'all clusters at once; bakes 60 s before the next stage; any failed cluster rolls back', state: 'current' },
      {
        index: 1,
        name: 'others',
        selects: 'labels env=production',
        clusters: ['cluster-frankfurt', 'cluster-shanghai'],
        rules: 'waits for approval (kurator app promote); all clusters at once; any failed cluster rolls back',
        state: 'pending',
      },
    ],
    clusters: [
      cluster('cluster-hangzhou', 0, {
        phase: 'Progressing',
        target: 'v1.3',
        running: 'v1.2',
        healthy: false,
        health: 'Progressing',
        imagesSynced: 1,
        images: [
          { source: 'apphub.local/mes-system:v1.3', target: '127.0.0.1:5001/mes-system@sha256:aa', digest: 'sha256:aa', phase: 'Synced', bytes: 67108864, totalBytes: 67108864 },
          { source: 'apphub.local/mes-worker:v1.3', phase: 'Copying', bytes: 16777216, totalBytes: 67108864 },
          { source: 'apphub.local/mes-report:v1.3', phase: 'Failed', bytes: 0, totalBytes: 1048576, message: 'PUT 127.0.0.1:5001: connection refused: start the registry or fix spec.registry.host' },
          { source: 'docker.io/library/redis:7', phase: 'Skipped', bytes: 0, totalBytes: 0, message: 'not in AppHub\u2019s registry: left as the objects name it' },
        ],
        message: 'waits for 2 of 3 pods',
      }),
      cluster('cluster-frankfurt', 1),
      cluster('cluster-shanghai', 1),
    ],
    gates: [
      { time: '2026-03-14T10:03:00Z', cluster: 'cluster-hangzhou', gate: 'readiness', kind: 'readiness', passed: true, reason: 'Ready' },
      { time: '2026-03-14T10:02:00Z', cluster: 'cluster-hangzhou', gate: 'request-success-rate', kind: 'metric', passed: false, value: '96.2', reason: 'BelowMin', message: '96.2 is below 99' },
    ],
    history: [{ revision: 'v1.2', from: 'v1.1', phase: 'Succeeded', start: '2026-03-13T09:00:00Z', end: '2026-03-13T09:04:00Z', seconds: 240 }],
    conditions: [
      { type: 'Consistent', status: 'False', reason: 'Diverged', message: 'a release is in progress: v1.2 on cluster-frankfurt, cluster-shanghai; v1.3 on cluster-hangzhou' },
      { type: 'Ready', status: 'True', reason: 'Ready', message: 'phase Progressing, stable revision v1.2, 3 clusters' },
      { type: 'ImagesSynced', status: 'False', reason: 'Copying', message: '1 of 4 image copies done for revision v1.3' },
    ],
    events: null,
    versions: [
      { version: 'v1.3', format: 'Manifests', digest: 'sha256:3f9c2a1d0b8e7f6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b', size: 2150, objects: 3, images: 3, warnings: 1, created: '2026-03-14T09:58:00Z', current: true, clusters: ['cluster-hangzhou'] },
      { version: 'v1.2', format: 'Manifests', digest: 'sha256:2e8b1c0a9f7d6e5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c', size: 2048, objects: 3, images: 3, warnings: 0, created: '2026-03-13T08:58:00Z', clusters: ['cluster-frankfurt', 'cluster-shanghai'] },
    ],
    ...over,
  };
}
