// Screenshots of every page at 1440x900, light and dark, from a running
// dashboard or the fixture server: [LOGIN_TOKEN=admin] node scripts/screenshots.mjs URL OUTDIR
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const base = process.argv[2] ?? 'http://127.0.0.1:5174';
const out = process.argv[3] ?? '/tmp/kurator-shots';
mkdirSync(out, { recursive: true });
const pages = [
  ['overview', '/', '[data-testid^="cluster-"]'],
  ['cluster', '/clusters/cluster-shanghai', '[data-testid="nodes-table"]'],
  ['workloads', '/workloads', '[data-testid="workloads-table"]'],
  ['workload', '/workloads/default/nginx-deployment', '[data-testid="excluded"]'],
  ['policies', '/policies', '[data-testid="policies"]'],
  ['login', '/login?error=token%20not%20accepted', 'form'],
];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
for (const scheme of ['light', 'dark']) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: scheme, ignoreHTTPSErrors: true });
  const page = await ctx.newPage();
  page.on('console', (m) => m.type() === 'error' && console.log(`[${scheme}] console: ${m.text()}`));
  await page.goto(`${base}/login?token=${encodeURIComponent(process.env.LOGIN_TOKEN ?? 'admin')}`);
  for (const [name, path, sel] of pages) {
    await page.goto(base + path);
    await page.waitForSelector(sel, { timeout: 10000 });
    await page.waitForTimeout(300);
    const file = `${out}/${name}${scheme === 'dark' ? '-dark' : ''}.png`;
    await page.screenshot({ path: file, fullPage: process.env.FULL === '1' });
    console.log(file);
  }
  await ctx.close();
}
await browser.close();
