// A stand-in for the dashboard server, for looking at the pages without a
// fleet: serves dist/ (index.html for every non-/api path, as the real
// server does) and the JSON API from the fixtures below, with a live
// /api/v1/watch. POST /fixture/kill?cluster=X and /fixture/restart?cluster=X
// flip a cluster's Ready and send a change. GET /login?token=T logs in
// (token "team-a" sees only namespace team-a), and
// /control/* mimics the e2e harness so the browser spec can run here:
//   CONTROL_URL=http://127.0.0.1:5174/control DASHBOARD_URL=http://127.0.0.1:5174 \
//   LOGIN_TOKEN=admin TEAM_A_TOKEN=team-a NGINX_YAML=x TEAM_YAML="$(cat scripts/team.yaml)" \
//   HEALTH_THRESHOLD_MS=3000 SCREENSHOT_DIR=/tmp/shots npm run e2e
//
//   npm run build && node scripts/fixture-server.mjs [port]
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, dirname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const port = Number(process.argv[2] || process.env.PORT || 5174);
const GiB = 1024 ** 3;
const now = Date.now();
const ago = (s) => new Date(now - s * 1000).toISOString();

const down = new Set();
let bulk = 0; // POST /control/bulk?n=N adds N Deployments in namespace bench
let version = 1;
const streams = new Set();

function clusterSummary(name, region, provider, zone, extra = {}) {
  const isDown = down.has(name);
  return {
    name,
    namespace: 'kurator-system',
    region,
    zone,
    provider,
    fleet: 'quickstart',
    ready: isDown
      ? { type: 'Ready', status: 'False', reason: 'ClusterNotReachable', message: `Get "https://127.0.0.1:38443/readyz": dial tcp 127.0.0.1:38443: connect: connection refused`, since: ago(4) }
      : { type: 'Ready', status: 'True', reason: 'ClusterReady', message: 'the member answers /readyz', since: ago(3 * 3600 + 120) },
    kubernetesVersion: 'v1.37.2',
    nodes: { used: 3, total: 3 },
    pods: { used: extra.pods ?? 6, total: extra.pods ?? 6 },
    cpu: { used: extra.cpu ?? 2500, total: 24000 },
    memory: { used: extra.mem ?? 6 * GiB, total: 96 * GiB },
    failedPods: extra.failed ?? 0,
    workloads: extra.workloads ?? 2,
    ...(extra.taints ? { taints: extra.taints } : {}),
  };
}

function clusters() {
  const cs = [
    clusterSummary('cluster-hangzhou', 'cn-east', 'alibaba', 'cn-hangzhou-a', { cpu: 8600, mem: 40 * GiB, pods: 9, workloads: 3 }),
    clusterSummary('cluster-shanghai', 'cn-east', 'alibaba', 'cn-shanghai-b', { cpu: 21500, mem: 61 * GiB, pods: 7, failed: 1, workloads: 3 }),
    clusterSummary('cluster-frankfurt', 'eu-central', 'aws', 'eu-central-1a', {
      cpu: 1200,
      mem: 3 * GiB,
      pods: 2,
      workloads: 1,
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule', added: ago(86400) }],
    }),
  ];
  return cs.sort((a, b) => (a.ready.status === 'True') - (b.ready.status === 'True'));
}

function benchWorkloads() {
  return Array.from({ length: bulk }, (_, i) => ({
    ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'bench', name: `bench-${String(i).padStart(3, '0')}` },
    binding: `bench-${String(i).padStart(3, '0')}-deployment`,
    policy: { kind: 'PropagationPolicy', namespace: 'bench', name: 'bench' },
    fleet: 'quickstart',
    desired: 2,
    ready: 2,
    health: 'Healthy',
    clusters: [
      { name: 'cluster-hangzhou', replicas: 1, ready: 1, health: 'Healthy', applied: true },
      { name: 'cluster-shanghai', replicas: 1, ready: 1, health: 'Healthy', applied: true },
    ],
  }));
}

function workloadSummaries() {
  const fk = down.has('cluster-frankfurt');
  return [...baseWorkloads(fk), ...benchWorkloads()];
}

function baseWorkloads(fk) {
  return [
    {
      ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'nginx' },
      binding: 'nginx-deployment',
      policy: { kind: 'PropagationPolicy', namespace: 'default', name: 'nginx-propagation' },
      fleet: 'quickstart',
      desired: 10,
      ready: 10,
      health: 'Healthy',
      clusters: [
        { name: 'cluster-hangzhou', replicas: 6, ready: 6, health: 'Healthy', applied: true },
        { name: 'cluster-shanghai', replicas: 4, ready: 4, health: 'Healthy', applied: true },
      ],
      scheduled: { type: 'Scheduled', status: 'True', reason: 'Success', message: 'Binding has been scheduled successfully.', since: ago(600) },
      updated: ago(590),
    },
    {
      ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'team-a', name: 'checkout-service-with-a-really-long-name-for-ellipsis' },
      binding: 'checkout-service-with-a-really-long-name-for-ellipsis-deployment',
      policy: { kind: 'PropagationPolicy', namespace: 'team-a', name: 'spread-all' },
      fleet: 'quickstart',
      desired: 9,
      ready: fk ? 6 : 8,
      health: fk ? 'Degraded' : 'Progressing',
      message: fk ? 'cluster-frankfurt: cluster NotReady, replicas are being evicted' : 'cluster-shanghai: 2 of 3 replicas ready',
      clusters: [
        { name: 'cluster-hangzhou', replicas: 3, ready: 3, health: 'Healthy', applied: true },
        { name: 'cluster-shanghai', replicas: 3, ready: 2, health: 'Progressing', applied: true },
        { name: 'cluster-frankfurt', replicas: 3, ready: fk ? 0 : 3, health: fk ? 'Degraded' : 'Healthy', applied: true, evicting: fk },
      ],
    },
    {
      ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team-b', name: 'settings' },
      binding: 'settings-configmap',
      policy: { kind: 'PropagationPolicy', namespace: 'team-b', name: 'spread-all' },
      fleet: 'quickstart',
      desired: 0,
      ready: 0,
      health: 'Healthy',
      clusters: [
        { name: 'cluster-hangzhou', replicas: 0, ready: 0, health: 'Healthy', applied: true },
        { name: 'cluster-shanghai', replicas: 0, ready: 0, health: 'Healthy', applied: true },
      ],
    },
    {
      ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'team-b', name: 'batch' },
      binding: 'batch-deployment',
      policy: { kind: 'PropagationPolicy', namespace: 'team-b', name: 'gpu-only' },
      desired: 2,
      ready: 0,
      health: 'Unscheduled',
      message: 'no cluster fits: 0/3 clusters are available: 3 cluster(s) did not match the placement cluster affinity constraint',
      clusters: null,
    },
  ];
}

function overview() {
  const cs = clusters();
  const ws = workloadSummaries();
  const sum = (f) => cs.reduce((a, c) => ({ used: a.used + f(c).used, total: a.total + f(c).total }), { used: 0, total: 0 });
  const problems = [];
  for (const c of cs) if (c.ready.status !== 'True') problems.push({ severity: 'error', object: { kind: 'AttachedCluster', namespace: c.namespace, name: c.name }, message: c.ready.message, since: c.ready.since });
  for (const w of ws) if (w.health === 'Degraded' || w.health === 'Unscheduled') problems.push({ severity: 'error', object: w.ref, message: w.message });
  problems.push({ severity: 'warning', object: { kind: 'Pod', namespace: 'team-a', name: 'checkout-7d9f-abcde' }, cluster: 'cluster-shanghai', message: 'CrashLoopBackOff: back-off 5m0s restarting failed container', since: ago(900) });
  return {
    totals: {
      clusters: cs.length,
      readyClusters: cs.filter((c) => c.ready.status === 'True').length,
      nodes: sum((c) => c.nodes),
      pods: sum((c) => c.pods),
      cpu: sum((c) => c.cpu),
      memory: sum((c) => c.memory),
      workloads: ws.length,
      healthyWorkloads: ws.filter((w) => w.health === 'Healthy').length,
    },
    fleets: [
      { namespace: 'kurator-system', name: 'quickstart', clusters: cs.map((c) => c.name), valid: { type: 'Valid', status: 'True', reason: 'Valid', since: ago(7200) } },
      { namespace: 'kurator-system', name: 'edge', clusters: [], valid: { type: 'Valid', status: 'False', reason: 'ClusterNotFound', message: 'cluster cluster-paris does not exist in kurator-system', since: ago(300) } },
    ],
    clusters: cs,
    problems,
  };
}

function clusterDetail(name) {
  const c = clusters().find((x) => x.name === name);
  if (!c) return null;
  const isDown = down.has(name);
  return {
    summary: c,
    conditions: [
      c.ready,
      { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', since: ago(86400) },
      { type: 'APIEnablementsComplete', status: 'True', reason: 'Complete', message: '212 resources served', since: ago(86400) },
    ],
    history: [
      ...(isDown ? [{ time: ago(4), type: 'Ready', from: 'True', to: 'False', reason: 'ClusterNotReachable', message: 'connection refused' }] : []),
      { time: ago(3 * 3600 + 120), type: 'Ready', from: 'False', to: 'True', reason: 'ClusterReady', message: 'the member answers /readyz' },
      { time: ago(3 * 3600 + 300), type: 'Ready', from: 'Unknown', to: 'False', reason: 'ClusterNotReachable', message: 'the member has not answered yet' },
      { time: ago(3 * 3600 + 330), type: 'Ready', from: '', to: 'Unknown', reason: 'Joined' },
    ],
    nodes: [1, 2, 3].map((i) => ({ name: `${name}-node-${i}`, ready: !(isDown || (name === 'cluster-shanghai' && i === 3 && false)), reason: isDown ? 'member unreachable' : undefined, cpu: 8000, memory: 32 * GiB, pods: 110, unschedulable: i === 3 && name === 'cluster-shanghai' })),
    podIssues: name === 'cluster-shanghai' ? [{ namespace: 'team-a', name: 'checkout-7d9f-abcde', reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=checkout pod=checkout-7d9f-abcde' }] : null,
    workloads: workloadSummaries()
      .filter((w) => (w.clusters ?? []).some((x) => x.name === name))
      .map((w) => {
        const x = w.clusters.find((y) => y.name === name);
        return { ref: w.ref, binding: w.binding, desired: x.replicas, ready: x.ready, health: x.health, applied: x.applied, message: x.health !== 'Healthy' ? w.message : undefined };
      }),
    events: [
      { type: isDown ? 'Warning' : 'Normal', reason: isDown ? 'ClusterNotReady' : 'ClusterReady', message: isDown ? 'cluster is not reachable' : 'cluster is ready', object: { kind: 'AttachedCluster', namespace: 'kurator-system', name }, count: 1, last: ago(isDown ? 4 : 3 * 3600), reporter: 'cluster-controller' },
      { type: 'Normal', reason: 'SyncSucceed', message: 'Successfully applied resource(default/nginx) to cluster ' + name, object: { kind: 'ResourceBinding', namespace: 'default', name: 'nginx-deployment' }, count: 3, last: ago(590), reporter: 'execution-controller' },
    ],
    labels: { 'kurator.dev/fleet': 'quickstart', 'topology.kubernetes.io/region': c.region, 'topology.kubernetes.io/zone': c.zone, provider: c.provider },
    apiServer: 'https://127.0.0.1:38443',
  };
}

function workloadDetail(ns, binding) {
  const w = workloadSummaries().find((x) => (x.ref.namespace || '-') === ns && x.binding === binding);
  if (!w) return null;
  const yaml = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  labels:',
    '    app: nginx',
    `  name: ${w.ref.name}`,
    `  namespace: ${w.ref.namespace}`,
    'spec:',
    '  replicas: 10',
    '  selector:',
    '    matchLabels:',
    '      app: nginx',
    '  template:',
    '    metadata:',
    '      labels:',
    '        app: nginx',
    '    spec:',
    '      containers:',
    '      - image: nginx:1.27',
    '        name: nginx',
    '        ports:',
    '        - containerPort: 80',
  ];
  const render = (cluster, replicas, image) => {
    const diff = [];
    for (const l of yaml) {
      if (l === '  replicas: 10') {
        diff.push({ op: '-', text: l }, { op: '+', text: `  replicas: ${replicas}` });
      } else if (image && l.includes('image: nginx:1.27')) {
        diff.push({ op: '-', text: l }, { op: '+', text: l.replace('nginx:1.27', image) });
      } else diff.push({ op: ' ', text: l });
    }
    return {
      cluster,
      overrides: image ? [{ kind: 'OverridePolicy', namespace: w.ref.namespace, name: 'registry-mirror' }] : [],
      diff,
      changed: image ? 4 : 2,
    };
  };
  return {
    summary: w,
    placement: {
      chosen: (w.clusters ?? []).map((c) => ({ name: c.name, replicas: c.replicas })),
      excluded:
        w.binding === 'nginx-deployment'
          ? [{ name: 'cluster-frankfurt', reason: 'not in clusterNames' }]
          : w.health === 'Unscheduled'
            ? clusters().map((c) => ({ name: c.name, reason: 'does not match the cluster affinity (labelSelector gpu=true)' }))
            : [],
      summary: w.binding === 'nginx-deployment' ? 'clusterNames: cluster-hangzhou, cluster-shanghai; Divided, static weights 60:40' : 'all clusters of the fleet; Divided, aggregated',
      error: w.health === 'Unscheduled' ? w.message : undefined,
      differs: w.binding === 'nginx-deployment' && down.size > 0 ? undefined : undefined,
    },
    overrides: (w.clusters ?? []).map((c) => render(c.name, c.replicas, c.name === 'cluster-hangzhou' ? 'registry.cn-hangzhou.example/library/nginx:1.27' : '')),
    failover: down.has('cluster-frankfurt') && w.clusters?.some((c) => c.name === 'cluster-frankfurt') ? [{ time: ago(2), cluster: 'cluster-frankfurt', reason: 'ApplicationFailover', message: 'cluster NotReady for 3s', active: true }] : [],
    conditions: [
      { type: 'Scheduled', status: w.health === 'Unscheduled' ? 'False' : 'True', reason: w.health === 'Unscheduled' ? 'NoClusterFit' : 'Success', message: w.health === 'Unscheduled' ? w.message : 'Binding has been scheduled successfully.', since: ago(600) },
      { type: 'FullyApplied', status: 'True', reason: 'FullyAppliedSuccess', message: 'All works have been successfully applied', since: ago(590) },
    ],
    events: [
      { type: 'Normal', reason: 'ScheduleBindingSucceed', message: 'Binding has been scheduled successfully. Result: {cluster-hangzhou:6, cluster-shanghai:4}', object: { kind: 'ResourceBinding', namespace: w.ref.namespace, name: w.binding }, count: 1, last: ago(600), reporter: 'scheduler' },
    ],
  };
}

function policies() {
  return {
    items: [
      { ref: { kind: 'PropagationPolicy', namespace: 'default', name: 'nginx-propagation' }, ready: { type: 'Ready', status: 'True', reason: 'Claimed', message: 'claims 1 resource template' }, selectors: ['apps/v1 Deployment nginx'], summary: 'clusterNames: cluster-hangzhou, cluster-shanghai; Divided, static weights 60:40', claimed: 1, resources: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'nginx' }] },
      { ref: { kind: 'PropagationPolicy', namespace: 'team-a', name: 'spread-all' }, ready: { type: 'Ready', status: 'True', reason: 'Claimed' }, priority: 10, selectors: ['apps/v1 Deployment (any name)', 'v1 ConfigMap settings'], summary: 'all clusters of the fleet; Divided, aggregated', claimed: 1, resources: [{ kind: 'Deployment', namespace: 'team-a', name: 'checkout-service-with-a-really-long-name-for-ellipsis' }] },
      { ref: { kind: 'PropagationPolicy', namespace: 'team-b', name: 'gpu-only' }, ready: { type: 'Ready', status: 'False', reason: 'NoClusterFits', message: 'no cluster has label gpu=true' }, selectors: ['apps/v1 Deployment batch'], summary: 'clusterAffinity: labelSelector gpu=true; Duplicated', claimed: 1, resources: [{ kind: 'Deployment', namespace: 'team-b', name: 'batch' }] },
      { ref: { kind: 'ClusterPropagationPolicy', name: 'crds-everywhere' }, ready: { type: 'Ready', status: 'True', reason: 'Claimed' }, selectors: ['apiextensions.k8s.io/v1 CustomResourceDefinition (any name)'], summary: 'all clusters; Duplicated', claimed: 0, resources: null },
      { ref: { kind: 'OverridePolicy', namespace: 'default', name: 'registry-mirror' }, ready: { type: 'Ready', status: 'True', reason: 'Valid' }, selectors: ['apps/v1 Deployment nginx'], summary: 'cluster-hangzhou: image registry → registry.cn-hangzhou.example', claimed: 1, resources: [{ kind: 'Deployment', namespace: 'default', name: 'nginx' }] },
    ],
  };
}

function workloadList(q) {
  let items = workloadSummaries();
  const all = items;
  if (q.get('namespace')) items = items.filter((w) => w.ref.namespace === q.get('namespace'));
  if (q.get('cluster')) items = items.filter((w) => (w.clusters ?? []).some((c) => c.name === q.get('cluster')));
  if (q.get('health')) items = items.filter((w) => w.health === q.get('health'));
  if (q.get('fleet')) items = items.filter((w) => w.fleet === q.get('fleet'));
  return {
    items,
    namespaces: [...new Set(all.map((w) => w.ref.namespace))].sort(),
    clusters: ['cluster-frankfurt', 'cluster-hangzhou', 'cluster-shanghai'],
    fleets: ['quickstart'],
  };
}

function sendChange(topics) {
  version++;
  for (const res of streams) res.write(`event: change\ndata: ${JSON.stringify({ topics, version })}\n\n`);
}

const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const json = (code, body) => {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const p = url.pathname;
  const user = /(?:^|; )fx=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  if (p === '/login' && url.searchParams.get('token')) {
    const t = url.searchParams.get('token');
    if (t !== 'admin' && t !== 'team-a') {
      res.writeHead(303, { Location: '/login?error=' + encodeURIComponent('the hub does not accept this token') });
      return res.end();
    }
    const next = url.searchParams.get('next') ?? '/';
    res.writeHead(303, { Location: next.startsWith('/') && !next.startsWith('//') ? next : '/', 'Set-Cookie': `fx=${t}; Path=/; HttpOnly` });
    return res.end();
  }
  if (p.startsWith('/api/') && !user) return json(401, { error: 'no session: log in first', hint: 'open the URL that `kurator up` printed' });
  if (req.method === 'POST' && p.startsWith('/control/')) {
    const c = url.searchParams.get('cluster');
    if (p === '/control/kill') down.add(c);
    if (p === '/control/restart') down.delete(c);
    if (p === '/control/bulk') bulk = Number(url.searchParams.get('n') || 500);
    setTimeout(() => sendChange(['clusters', 'workloads', 'events']), 1500);
    req.resume();
    return json(200, { ok: true });
  }
  if (user === 'team-a' && p === '/api/v1/workloads') {
    if (url.searchParams.get('namespace') && url.searchParams.get('namespace') !== 'team-a') return json(403, { error: 'team-a-viewer may not list deployments in ' + url.searchParams.get('namespace'), hint: 'ask for get on deployments there' });
    const doc = workloadList(url.searchParams);
    doc.items = doc.items.filter((w) => w.ref.namespace === 'team-a');
    doc.namespaces = ['team-a'];
    return json(200, doc);
  }
  if (req.method === 'POST' && p.startsWith('/fixture/')) {
    const c = url.searchParams.get('cluster');
    if (p === '/fixture/kill') down.add(c);
    else down.delete(c);
    sendChange(['clusters', 'workloads', 'events']);
    return json(200, { down: [...down] });
  }
  if (p === '/api/v1/watch') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write(': hello\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  if (p.startsWith('/api/')) {
    let m;
    if (p === '/api/v1/whoami') return json(200, user === 'team-a' ? { user: 'team-a-viewer', mode: 'token', hub: 'https://127.0.0.1:6443' } : { user: 'kurator-admin', groups: ['system:masters'], mode: 'kubeconfig', hub: 'https://127.0.0.1:6443' });
    if (p === '/api/v1/overview') return json(200, overview());
    if (p === '/api/v1/policies') return json(200, policies());
    if (p === '/api/v1/workloads') return json(200, workloadList(url.searchParams));
    if ((m = p.match(/^\/api\/v1\/clusters\/([^/]+)$/))) {
      const d = clusterDetail(decodeURIComponent(m[1]));
      return d ? json(200, d) : json(404, { error: `cluster ${m[1]} not found`, hint: 'pick one on the overview' });
    }
    if ((m = p.match(/^\/api\/v1\/workloads\/([^/]+)\/([^/]+)$/))) {
      const d = workloadDetail(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
      return d ? json(200, d) : json(404, { error: `workload ${m[1]}/${m[2]} not found`, hint: 'it may have been deleted' });
    }
    return json(404, { error: `no API at ${p}` });
  }
  const file = normalize(join(dist, p));
  if (file.startsWith(dist) && p !== '/' && existsSync(file) && !file.endsWith('/')) {
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
    return res.end(readFileSync(file));
  }
  res.writeHead(200, { 'Content-Type': types['.html'] });
  res.end(readFileSync(join(dist, 'index.html')));
}).listen(port, '127.0.0.1', () => console.log(`fixture dashboard on http://127.0.0.1:${port}`));
