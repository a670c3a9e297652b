// The dashboard in a real browser against a real local fleet. The Go
// harness (test/e2e/dashboard) starts the fleet and the dashboard and runs
// `npm run e2e` with the environment below; the tests run in order and
// share one browser. Each asserts what a person sees.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployments } from './yaml';

const ENV_HELP: Record<string, string> = {
  DASHBOARD_URL: 'the dashboard base URL, e.g. https://127.0.0.1:40123',
  LOGIN_TOKEN: 'the admin login token (the spec opens DASHBOARD_URL/login?token=LOGIN_TOKEN)',
  TEAM_A_TOKEN: 'a hub bearer token of a user who may read only namespace team-a',
  CONTROL_URL: "the harness's control server (POST /apply, /apply-status, /delete, /kill, /restart, /bulk)",
  NGINX_YAML: 'the nginx 60/40 example (Deployment nginx 10 replicas + PropagationPolicy): a file path or the YAML itself',
  TEAM_YAML: 'Deployments in namespaces team-a and team-b: a file path or the YAML itself',
  HEALTH_THRESHOLD_MS: "the fleet's failure threshold in ms (3000)",
  SCREENSHOT_DIR: 'where to save the PNGs',
};

function env(name: keyof typeof ENV_HELP): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(
      `environment variable ${name} is not set: ${ENV_HELP[name]}. This spec is run by the Go harness: go test ./test/e2e/dashboard (it starts a local fleet and sets ${Object.keys(ENV_HELP).join(', ')}).`,
    );
  }
  return v;
}

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1440, height: 900 };
const CLUSTERS = ['cluster-hangzhou', 'cluster-shanghai', 'cluster-frankfurt'];

let base = '';
let browser: Browser;
let admin: BrowserContext;
let page: Page;
let shots = '';

/** control calls the harness: POST CONTROL_URL + path with a body; it throws with the harness's output on a non-2xx. */
async function control(path: string, body = ''): Promise<string> {
  const res = await fetch(env('CONTROL_URL').replace(/\/$/, '') + path, { method: 'POST', body, headers: { 'Content-Type': 'application/yaml' } });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} to the harness answered ${res.status}: ${text}`);
  return text;
}

async function newContext(colorScheme: 'light' | 'dark' = 'light'): Promise<BrowserContext> {
  return browser.newContext({ viewport: VIEWPORT, ignoreHTTPSErrors: true, colorScheme });
}

/** logIn opens the login URL with token in a context; the server sets the session cookie and redirects. */
async function logIn(ctx: BrowserContext, token: string): Promise<Page> {
  const p = await ctx.newPage();
  p.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  await p.goto(`${base}/login?token=${encodeURIComponent(token)}`);
  await p.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 15_000 }).catch(async () => {
    const msg = await p.locator('[data-testid="login-error"]').textContent().catch(() => '');
    throw new Error(`logging in did not leave /login (at ${p.url()}): ${msg || 'no error shown'}`);
  });
  return p;
}

/**
 * explain describes what a page shows after a failed wait: its URL, the
 * visible text and what the API answers it, with a screenshot, so a
 * failure in CI says more than "timeout".
 */
async function explain(p: Page, name: string, err: unknown): Promise<Error> {
  const file = join(shots, `failed-${name}.png`);
  await p.screenshot({ path: file }).catch(() => {});
  const text = ((await p.locator('body').innerText().catch(() => '')) || '').replace(/\s+/g, ' ').slice(0, 1200);
  const apis = await p
    .evaluate(async () => {
      const out: string[] = [];
      for (const path of ['/api/v1/whoami', '/api/v1/workloads']) {
        try {
          const r = await fetch(path, { credentials: 'same-origin' });
          out.push(`${path} -> ${r.status} ${(await r.text()).slice(0, 400)}`);
        } catch (e) {
          out.push(`${path} -> ${String(e)}`);
        }
      }
      return out.join('\n');
    })
    .catch((e: unknown) => `API calls failed: ${String(e)}`);
  const msg = err instanceof Error ? err.message : String(err);
  return new Error(`${msg}\n  page: ${p.url()} (screenshot ${file})\n  shows: ${text}\n  ${apis}`);
}

const cardSel = (name: string) => `[data-testid="cluster-${name}"]`;

async function shot(p: Page, name: string) {
  await p.waitForTimeout(250); // let the bars' width transition finish
  await p.screenshot({ path: join(shots, name) });
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: Math.round(mid), min: Math.round(s[0]), max: Math.round(s[s.length - 1]), n: s.length };
}

function figure(name: string, xs: number[]) {
  const st = stats(xs);
  const line = `FIGURE ${name} ${st.median} ms (min ${st.min}, max ${st.max}, n=${st.n})`;
  process.stdout.write(`${line}\n`);
  appendFileSync(join(shots, 'figures.txt'), `${line}\n`);
  return st;
}

/** yamlFrom reads a YAML variable: the harness passes a file path, a person may pass the YAML itself. */
function yamlFrom(name: 'NGINX_YAML' | 'TEAM_YAML'): string {
  const v = env(name);
  if (!v.includes('\n') && existsSync(v)) return readFileSync(v, 'utf8');
  return v;
}

describe('Kurator Dashboard in a browser', () => {
  beforeAll(async () => {
    base = env('DASHBOARD_URL').replace(/\/$/, '');
    for (const k of Object.keys(ENV_HELP)) env(k as keyof typeof ENV_HELP);
    shots = env('SCREENSHOT_DIR');
    mkdirSync(shots, { recursive: true });
    writeFileSync(join(shots, 'figures.txt'), '');
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    admin = await newContext();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('a. the login URL opens the overview with 3 Ready clusters of 3/3 nodes', async () => {
    page = await logIn(admin, env('LOGIN_TOKEN'));
    expect(new URL(page.url()).pathname).toBe('/');
    for (const name of CLUSTERS) {
      const card = page.locator(cardSel(name));
      // the fleet may still be probing its members: wait for Ready with a deadline
      await page.waitForSelector(`${cardSel(name)}[data-ready="True"]`, { timeout: 60_000 });
      await expect.poll(() => card.locator('[data-testid="nodes"]').textContent(), { timeout: 30_000 }).toBe('3/3');
      expect(await card.getByText('Ready', { exact: true }).isVisible()).toBe(true);
    }
    expect(await page.locator('[data-testid^="cluster-"][data-ready]').count()).toBe(3);
  });

  it('b. nginx 60/40: the workload page shows 6 in hangzhou, 4 in shanghai, frankfurt excluded', async () => {
    await control('/apply', yamlFrom('NGINX_YAML'));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workloads' }).click();
    await page.waitForURL((u) => u.pathname === '/workloads');
    const link = page.getByRole('link', { name: 'default/nginx', exact: true });
    await link.waitFor({ timeout: 60_000 });
    await link.click();
    await page.waitForURL((u) => u.pathname === '/workloads/default/nginx-deployment');
    const seg = (c: string) => page.locator(`[data-testid="dist-${c}"]`);
    await expect.poll(() => seg('cluster-hangzhou').getAttribute('data-replicas').catch(() => null), { timeout: 60_000 }).toBe('6');
    await expect.poll(() => seg('cluster-shanghai').getAttribute('data-replicas').catch(() => null), { timeout: 10_000 }).toBe('4');
    expect(await seg('cluster-hangzhou').textContent()).toContain('6');
    expect(await seg('cluster-shanghai').textContent()).toContain('4');
    expect(await seg('cluster-frankfurt').count()).toBe(0);
    const excluded = page.locator('[data-testid="excluded-cluster-frankfurt"]');
    await excluded.waitFor({ timeout: 10_000 });
    expect(await excluded.textContent()).toContain('not in clusterNames');
    await shot(page, 'workload-nginx.png');
  });

  it('c. killing a member turns its card red with no reload; restarting turns it back', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await page.waitForSelector(`${cardSel('cluster-frankfurt')}[data-ready="True"]`, { timeout: 30_000 });
    await page.waitForSelector('[data-testid="live"][data-state="live"]', { timeout: 15_000 });
    await page.evaluate(() => ((window as unknown as { __marker: string }).__marker = 'same page'));
    const threshold = Number(env('HEALTH_THRESHOLD_MS'));

    const killStart = Date.now();
    await control('/kill?cluster=cluster-frankfurt');
    const killed = Date.now();
    const margin = 1000; // the probe's own request timeout and the page's debounce
    await page.waitForSelector(`${cardSel('cluster-frankfurt')}[data-ready="False"]`, { timeout: threshold + 2000 + margin });
    const red = Date.now();
    console.log(`frankfurt NotReady on the page ${red - killed} ms after its kube-apiserver died (kill took ${killed - killStart} ms)`);
    expect(await page.locator(cardSel('cluster-frankfurt')).getByText('NotReady', { exact: true }).isVisible()).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __marker?: string }).__marker)).toBe('same page');
    expect(await page.locator('[data-testid="live"]').getAttribute('data-state')).toBe('live');
    await shot(page, 'overview-notready.png');

    await control('/restart?cluster=cluster-frankfurt');
    const restarted = Date.now();
    await page.waitForSelector(`${cardSel('cluster-frankfurt')}[data-ready="True"]`, { timeout: 30_000 });
    console.log(`frankfurt Ready again on the page ${Date.now() - restarted} ms after its kube-apiserver answered /readyz`);
    expect(await page.evaluate(() => (window as unknown as { __marker?: string }).__marker)).toBe('same page');
    expect(await page.locator('[data-testid="live"]').getAttribute('data-state')).toBe('live');
  });

  it('d. a user who may read only team-a sees no other namespace', async () => {
    const yaml = yamlFrom('TEAM_YAML');
    await control('/apply', yaml);
    const teamA = deployments(yaml).filter((d) => d.namespace === 'team-a');
    expect(teamA.length, 'TEAM_YAML has a Deployment in team-a').toBeGreaterThan(0);

    const ctx = await newContext();
    try {
      const p = await logIn(ctx, env('TEAM_A_TOKEN'));
      await p.goto(`${base}/workloads`);
      try {
        for (const d of teamA) {
          await p.getByRole('link', { name: `team-a/${d.name}`, exact: true }).waitFor({ timeout: 60_000 });
        }
      } catch (e) {
        throw await explain(p, 'team-a', e);
      }
      const rows = await p.locator('tr[data-testid^="workload-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid') ?? ''));
      expect(rows.length).toBeGreaterThan(0);
      const others = rows.filter((id) => !id.startsWith('workload-team-a/'));
      expect(others, 'rows outside team-a on the team-a user\u2019s workload list').toEqual([]);

      // the API answers the same from that page, with the user's session
      const api = await p.evaluate(async () => {
        const r = await fetch('/api/v1/workloads?namespace=team-b', { credentials: 'same-origin' });
        const text = await r.text();
        return { status: r.status, text };
      });
      if (api.status === 200) {
        const doc = JSON.parse(api.text) as { items: { ref: { namespace?: string } }[] | null };
        expect(doc.items ?? [], 'team-b workloads returned to the team-a user').toEqual([]);
      } else {
        expect(api.status, `GET /api/v1/workloads?namespace=team-b answered ${api.status}: ${api.text}`).toBe(403);
      }
      const all = await p.evaluate(async () => (await (await fetch('/api/v1/workloads')).json()) as { items: { ref: { namespace?: string } }[] | null });
      expect([...new Set((all.items ?? []).map((w) => w.ref.namespace))]).toEqual(['team-a']);
      await shot(p, 'workloads-team-a.png');
    } finally {
      await ctx.close();
    }
  });

  it('e. screenshots of every page, light and dark', async () => {
    const views: [string, string, string][] = [
      ['overview', '/', `${cardSel('cluster-hangzhou')}`],
      ['cluster', '/clusters/cluster-hangzhou', '[data-testid="nodes-table"]'],
      ['workloads', '/workloads', '[data-testid="workloads-table"]'],
      ['workload', '/workloads/default/nginx-deployment', '[data-testid="excluded-cluster-frankfurt"]'],
      ['policies', '/policies', '[data-testid="policies"]'],
    ];
    for (const scheme of ['light', 'dark'] as const) {
      const ctx = await newContext(scheme);
      try {
        const p = await logIn(ctx, env('LOGIN_TOKEN'));
        for (const [name, path, ready] of views) {
          await p.goto(base + path);
          await p.waitForSelector(ready, { timeout: 30_000 });
          expect(await p.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
          // no raw JSON on any page
          expect(await p.locator('body').innerText()).not.toMatch(/[{[]\s*"\w+":/);
          await shot(p, `${name}${scheme === 'dark' ? '-dark' : ''}.png`);
        }
      } finally {
        await ctx.close();
      }
    }
    // The smallest supported screen: every page fits 1280 px without a
    // horizontal scrollbar.
    const small = await browser.newContext({ viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true });
    try {
      const p = await logIn(small, env('LOGIN_TOKEN'));
      for (const [name, path, ready] of views) {
        await p.goto(base + path);
        await p.waitForSelector(ready, { timeout: 30_000 });
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${name} at 1280x800 scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
        await shot(p, `${name}-1280.png`);
      }
    } finally {
      await small.close();
    }
  });

  it('f. figures with 500 workloads: overview API response and first meaningful paint', async () => {
    await control('/bulk?n=500');
    await page.goto(`${base}/`);
    await page.waitForSelector(cardSel('cluster-hangzhou'));

    const api: number[] = [];
    for (let i = 0; i < 10; i++) {
      api.push(
        await page.evaluate(async () => {
          const t0 = performance.now();
          const r = await fetch('/api/v1/overview', { cache: 'no-store' });
          await r.json();
          if (!r.ok) throw new Error(`GET /api/v1/overview answered ${r.status}`);
          return performance.now() - t0;
        }),
      );
    }
    figure('overview-api', api);

    const paint: number[] = [];
    for (let i = 0; i < 10; i++) {
      await page.goto(`${base}/`, { waitUntil: 'commit' });
      await page.waitForFunction(() => document.querySelectorAll('[data-testid^="cluster-"][data-ready]').length >= 3, undefined, { timeout: 30_000 });
      // the app marks the moment it first rendered the cluster cards (ms since navigation start)
      const ms = await page.evaluate(() => {
        const m = performance.getEntriesByName('kurator:overview-rendered')[0];
        return m ? m.startTime : performance.now();
      });
      paint.push(ms);
    }
    figure('overview-first-paint', paint);

    const workloads = await page.evaluate(async () => ((await (await fetch('/api/v1/workloads')).json()) as { items: unknown[] | null }).items?.length ?? 0);
    expect(workloads).toBeGreaterThanOrEqual(500);
  });

  it('g. the keyboard alone reaches a cluster page: Tab to the link, Enter opens it', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector(`${cardSel('cluster-shanghai')}[data-ready]`, { timeout: 30_000 });
    await page.locator('body').focus();
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => {
        const a = document.activeElement;
        return a instanceof HTMLAnchorElement && a.getAttribute('href') === '/clusters/cluster-shanghai';
      });
    }
    expect(reached, 'Tab never reached the cluster-shanghai link within 60 presses').toBe(true);
    // the focused link shows a focus ring
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/clusters/cluster-shanghai', { timeout: 10_000 });
    await page.waitForSelector('[data-testid="nodes-table"]', { timeout: 30_000 });
  });

  it('h. an Application whose v1.3 failed in stage 1: the list shows its revision and a red chip, its page the failed stage and the gate', async () => {
    // The source names a version AppHub does not hold, so the controller
    // only reports SourceReady False (every 30 s) and leaves the delivery
    // and clusters the test writes through the status subresource as they are.
    await control(
      '/apply',
      `apiVersion: apps.kurator.dev/v1alpha1
kind: Application
metadata: {name: mes-e2e, namespace: default}
spec:
  source: {package: {name: mes-e2e-not-pushed, version: v1.3}}
  syncPolicies: [{destination: {fleet: quickstart}}]
  delivery:
    stages:
    - {name: north, clusterNames: [cluster-hangzhou]}
    - {name: others, clusterNames: [cluster-shanghai, cluster-frankfurt], requireApproval: true}
`,
    );
    const t = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await control(
      '/apply-status',
      `apiVersion: apps.kurator.dev/v1alpha1
kind: Application
metadata: {name: mes-e2e, namespace: default}
status:
  revision: v1.3
  digest: sha256:${'3f'.repeat(32)}
  delivery:
    phase: Failed
    stageIndex: 0
    currentStage: north
    stableRevision: v1.2
    failedRevision: v1.3
    clusters:
    - {name: cluster-hangzhou, stage: 0, phase: Failed, canaryWeight: 0, iterations: 0, failedChecks: 1, primaryRevision: v1.2, message: rolled back to v1.2}
    - {name: cluster-shanghai, stage: 1, phase: Pending, canaryWeight: 0, iterations: 0, failedChecks: 0, primaryRevision: v1.2}
    - {name: cluster-frankfurt, stage: 1, phase: Pending, canaryWeight: 0, iterations: 0, failedChecks: 0, primaryRevision: v1.2}
    gates:
    - {time: "${t}", cluster: cluster-hangzhou, gate: readiness, kind: readiness, passed: false, reason: NotReady, message: pods never Ready}
    history:
    - {revision: v1.3, from: v1.2, phase: Failed, startTime: "${t}", endTime: "${t}", message: "stage north failed: rolled back to v1.2"}
  clusters:
  - {name: cluster-frankfurt, revision: v1.2, healthy: true}
  - {name: cluster-hangzhou, revision: v1.2, healthy: false, message: rolled back to v1.2}
  - {name: cluster-shanghai, revision: v1.2, healthy: true}
  conditions:
  - {type: Consistent, status: "False", reason: Diverged, message: "not every cluster is healthy: v1.2 on cluster-frankfurt, cluster-hangzhou, cluster-shanghai", lastTransitionTime: "${t}"}
`,
    );
    const p = await admin.newPage();
    try {
      await p.goto(`${base}/applications`);
      const row = p.locator('[data-testid="application-default/mes-e2e"]');
      await row.waitFor({ timeout: 30_000 });
      await expect.poll(() => row.getAttribute('data-phase'), { timeout: 30_000 }).toBe('Failed');
      expect(await row.locator('[data-testid="app-revision"]').textContent()).toBe('v1.3');
      expect(await row.getAttribute('class')).toContain('row-error');
      const hz = row.locator('[data-testid="mchip-cluster-hangzhou"]');
      expect(await hz.getAttribute('class')).toContain('tone-error');
      expect(await hz.locator('[data-testid="mchip-revision"]').textContent()).toBe('v1.2');
      expect(await row.locator('[data-testid="mchip-cluster-shanghai"]').getAttribute('class')).toContain('tone-ok');
      // the red is a real colour, not only a class
      const border = await hz.evaluate((el) => getComputedStyle(el).borderLeftColor);
      const [r, g, b] = (border.match(/\d+/g) ?? []).map(Number);
      expect(r, `hangzhou's chip border ${border} is not red`).toBeGreaterThan(g + 60);
      expect(r).toBeGreaterThan(b + 60);
      await shot(p, 'applications.png');

      await row.getByRole('link', { name: 'default/mes-e2e' }).click();
      await p.waitForURL((u) => u.pathname === '/applications/default/mes-e2e');
      await p.waitForSelector('[data-testid="stage-strip"]', { timeout: 30_000 });
      expect(await p.locator('[data-testid="stage-0"]').getAttribute('data-state')).toBe('failed');
      expect(await p.locator('[data-testid="stage-1"]').textContent()).toContain('waits for approval (kurator app promote)');
      expect(await p.locator('[data-testid="achip-cluster-hangzhou"]').getAttribute('class')).toContain('tone-error');
      expect(await p.locator('[data-testid="app-message"]').getAttribute('role')).toBe('alert');
      const gate = p.locator('[data-testid="gate"]').first();
      expect(await gate.getAttribute('data-passed')).toBe('false');
      expect(await gate.textContent()).toContain('pods never Ready');
      const conds = await p.locator('[data-testid="conditions"] tbody tr td:first-child').allTextContents();
      expect(conds[0], `conditions ${conds.join(', ')}`).toBe('Consistent');
      expect(await p.locator('[data-testid="rollout-history"]').textContent()).toContain('stage north failed');
      await shot(p, 'application.png');
    } catch (e) {
      throw await explain(p, 'application', e);
    } finally {
      await p.close();
    }
  });

  it('i. a ScalePolicy whose execution has a failed pod: the list flags it red, the page shows each change from → to and the pod in red', async () => {
    // Seed 000's policy, wrapped. Its target clusters are not in this fleet,
    // so the controller (if it runs) only reports the policy Blocked and
    // keeps the executions the test writes through the status subresource.
    await control(
      '/apply',
      `apiVersion: autoscaling.kurator.dev/v1alpha1
kind: ScalePolicy
metadata: {name: promo-e2e, namespace: default}
name: promo-e2e
targetClusters: [north-cluster, south-cluster]
trigger: {type: resource, metric: cpu, threshold: 70, duration: 5m}
action:
  type: scale
  nodePool: {name: worker-pool, minNodes: 2, maxNodes: 5}
  deployment: {name: order-service, replicas: 30}
`,
    );
    const t = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await control(
      '/apply-status',
      `apiVersion: autoscaling.kurator.dev/v1alpha1
kind: ScalePolicy
metadata: {name: promo-e2e, namespace: default}
status:
  phase: ScaledOut
  trigger: resource
  value: "81.2%"
  lastScaleTime: "${t}"
  clusters:
  - {name: north-cluster, value: "81.2", min: "78.0", max: "84.5", samples: 10, verdict: Above, message: above 70% for 5m}
  - {name: south-cluster, value: "66.0", min: "61.0", max: "74.0", samples: 10, verdict: Mixed}
  executions:
  - id: 2
    time: "${t}"
    trigger: manual
    direction: Out
    reason: cpu 81.2% > 70% for 5m in north-cluster (min 78.0%)
    result: InProgress
    changes:
    - {kind: NodePool, name: worker-pool, cluster: north-cluster, from: 3, to: 5, ready: 4}
    - {kind: Deployment, namespace: default, name: order-service, from: 20, to: 30, ready: 27}
    failedPods: ["north-cluster/default/order-service-7d9c-x2: ImagePullBackOff"]
  - id: 1
    time: "${t}"
    trigger: resource
    direction: Out
    reason: cpu 75% > 70% for 5m in north-cluster
    result: Succeeded
    completionTime: "${t}"
    changes:
    - {kind: Deployment, namespace: default, name: order-service, from: 10, to: 20, ready: 20}
`,
    );
    const red = async (el: Locator, what: string) => {
      const color = await el.evaluate((node) => getComputedStyle(node).color);
      const [r, g, b] = (color.match(/\d+/g) ?? []).map(Number);
      expect(r, `${what} is ${color}, not red`).toBeGreaterThan(g + 60);
      expect(r, `${what} is ${color}, not red`).toBeGreaterThan(b + 60);
    };
    const p = await admin.newPage();
    try {
      await p.goto(`${base}/scaling`);
      const row = p.locator('[data-testid="scalepolicy-default/promo-e2e"]');
      await row.waitFor({ timeout: 30_000 });
      expect(await row.locator('[data-testid="sp-trigger"]').textContent()).toBe('cpu above 70% for 5m in north-cluster, south-cluster');
      const flagged = row.locator('[data-testid="sp-failed"]');
      await expect.poll(() => flagged.textContent(), { timeout: 30_000 }).toBe('1 failed pod');
      await red(flagged, 'the list\u2019s "1 failed pod"');
      await shot(p, 'scaling.png');

      await row.getByRole('link', { name: 'default/promo-e2e' }).click();
      await p.waitForURL((u) => u.pathname === '/scaling/default/promo-e2e');
      const exec = p.locator('[data-testid="execution-2"]');
      await exec.waitFor({ timeout: 30_000 });
      const ids = await p.locator('[data-testid^="execution-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
      expect(ids).toEqual(['execution-2', 'execution-1']);
      const changes = await exec.locator('[data-testid="change"]').allTextContents();
      expect(changes).toEqual(['north-cluster worker-pool3 → 5(4/5 Ready)', 'Deployment default/order-service20 → 30(27/30 ready)']);
      const pod = exec.locator('[data-testid="failed-pod"]');
      expect(await pod.textContent()).toContain('north-cluster/default/order-service-7d9c-x2: ImagePullBackOff');
      await red(pod, 'the failed pod');
      expect(await p.locator('[data-testid="window-north-cluster"]').getAttribute('data-verdict')).toBe('Above');
      await shot(p, 'scalepolicy.png');
    } catch (e) {
      throw await explain(p, 'scalepolicy', e);
    } finally {
      await p.close();
    }
  });
});
