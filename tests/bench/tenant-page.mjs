// The tenant page's weight and load time in Chromium: first view (signed
// out), then signed in (home), then the usage page (charts chunk).
// node tests/bench/tenant-page.mjs URL PHONE PASSWORD (E2E_NODE_MODULES=repo/node_modules)
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [url, phone, password] = process.argv.slice(2);
const require = createRequire(join(process.env.E2E_NODE_MODULES, 'x.js'));
const { chromium } = require('playwright-core');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'] });
const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
const page = await ctx.newPage();
const cdp = await ctx.newCDPSession(page);
await cdp.send('Network.enable');
let bytes = 0;
cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
const mark = async (label, fn) => {
  bytes = 0;
  const t = Date.now();
  await fn();
  await page.waitForLoadState('networkidle');
  console.log(`page: ${label.padEnd(34)} ${String(bytes).padStart(7)} bytes transferred, ${Date.now() - t} ms`);
};
await mark('first view (sign-in, cold cache)', async () => { await page.goto(url); await page.locator('#signin-form').waitFor(); });
const nav = await page.evaluate(() => { const n = performance.getEntriesByType('navigation')[0]; return { dcl: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd) }; });
console.log(`page: navigation timing: DOMContentLoaded ${nav.dcl} ms, load ${nav.load} ms`);
await mark('sign in -> home', async () => {
  await page.fill('#phone', phone);
  await page.fill('#password', password);
  await page.click('#signin-form button[type=submit]');
  await page.locator('#balance').waitFor();
});
await mark('usage page (uPlot chunk + data)', async () => { await page.click('nav a[href="#usage"]'); await page.locator('#chart canvas').waitFor(); });
await browser.close();
