// Scale policy documents shaped as the server sends them: seed 000's
// promotion policy, triggered by hand: north's worker pool grows 3 → 5 (4
// Ready), order-service 20 → 30 (27 ready) with one pod failing to pull its
// image; an earlier scale-out succeeded.
import type { NodePoolSummary, ScaleExecutionView, ScalePolicyDetail, ScalePolicySummary } from '../api/types';

export function execution(over: Partial<ScaleExecutionView> = {}): ScaleExecutionView {
  return {
    id: 2,
    time: '2026-03-14T10:10:00Z',
    trigger: 'manual',
    direction: 'Out',
    reason: 'kurator scale trigger',
    result: 'InProgress',
    changes: [
      { kind: 'NodePool', name: 'worker-pool', cluster: 'north-cluster', from: 3, to: 5, ready: 4, target: 'north-cluster worker-pool', text: 'north-cluster worker-pool 3 → 5', progress: '4/5 Ready', done: false },
      {
        kind: 'Deployment',
        namespace: 'default',
        name: 'order-service',
        from: 20,
        to: 30,
        ready: 27,
        target: 'Deployment default/order-service',
        text: 'Deployment default/order-service 20 → 30',
        progress: '27/30 ready',
        done: false,
      },
    ],
    failedPods: [{ cluster: 'north-cluster', namespace: 'default', name: 'order-service-7d9c-x2', reason: 'ImagePullBackOff' }],
    failedNodes: [],
    ...over,
  };
}

export function scalePolicySummary(ns: string, name: string, over: Partial<ScalePolicySummary> = {}): ScalePolicySummary {
  return {
    namespace: ns,
    name,
    trigger: 'resource',
    triggerText: 'cpu above 70% for 5m in north-cluster, south-cluster',
    targets: ['north-cluster', 'south-cluster'],
    phase: 'ScaledOut',
    value: '81.2%',
    threshold: '70%',
    over: true,
    lastScale: '2026-03-14T10:10:00Z',
    lastEvaluation: '2026-03-14T10:11:00Z',
    nextEvaluation: '2026-03-14T10:11:30Z',
    last: execution(),
    created: '2026-03-14T09:00:00Z',
    ...over,
  };
}

export function nodePool(cluster: string, over: Partial<NodePoolSummary> = {}): NodePoolSummary {
  return {
    namespace: 'kurator-system',
    name: `${cluster}-worker-pool`,
    cluster,
    pool: 'worker-pool',
    desired: 5,
    nodes: 5,
    ready: 5,
    min: 2,
    max: 5,
    provider: 'kwok',
    health: 'Healthy',
    notReady: [],
    ...over,
  };
}

export function scalePolicyDetail(over: Partial<ScalePolicyDetail> = {}): ScalePolicyDetail {
  return {
    summary: scalePolicySummary('default', 'promo-scale-policy'),
    spec: {
      trigger: 'cpu above 70% for 5m in north-cluster, south-cluster',
      actions: ['node pool worker-pool: up to 5 nodes (2 after the scale-in) in each target cluster', 'Deployment default/order-service: 30 replicas'],
      cooldown: '5m',
      interval: '30s',
      scaleIn: 'back to the sizes before the scale-out once the condition has cleared for the 5m cooldown',
      form: 'console',
    },
    clusters: [
      { name: 'north-cluster', value: '81.2%', min: '78.0%', max: '84.5%', samples: 10, verdict: 'Above', message: 'above 70% for 5m' },
      { name: 'south-cluster', value: '66.0%', min: '61.0%', max: '74.0%', samples: 10, verdict: 'Mixed', message: 'crossed 70% within the window' },
    ],
    before: [],
    executions: [
      execution(),
      execution({
        id: 1,
        time: '2026-03-14T09:10:00Z',
        trigger: 'resource',
        reason: 'cpu 75.0% > 70% for 5m in north-cluster (min 72.0%)',
        result: 'Succeeded',
        completed: '2026-03-14T09:12:00Z',
        seconds: 120,
        changes: [
          {
            kind: 'Deployment',
            namespace: 'default',
            name: 'order-service',
            from: 10,
            to: 20,
            ready: 20,
            target: 'Deployment default/order-service',
            text: 'Deployment default/order-service 10 → 20',
            progress: '20/20 ready',
            done: true,
          },
        ],
        failedPods: [],
      }),
    ],
    nodePools: [nodePool('north-cluster', { ready: 4, health: 'Progressing', message: '5 of 5 nodes, 4 Ready' }), nodePool('south-cluster')],
    conditions: [
      { type: 'Ready', status: 'True', reason: 'Acting', message: 'the policy can act' },
      { type: 'MetricsAvailable', status: 'True', reason: 'Read' },
    ],
    events: [],
    ...over,
  };
}
