// The tenant page driven in Chromium: prints TAP lines (tenant-e2e.sh counts
// them). Environment from tenant-e2e.sh: E2E_URL, E2E_SANDBOX, E2E_PHONE,
// E2E_PASSWORD, E2E_ACCOUNT, E2E_DAY0, E2E_PERIOD, E2E_LOG_DIR, E2E_CHROMIUM,
// E2E_NODE_MODULES.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
const require = createRequire(join(env.E2E_NODE_MODULES, 'x.js'));
const { chromium } = require('playwright-core');

let n = 0;
const ok = (cond, name, detail) => {
  n++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond && detail !== undefined) console.log(`#   ${String(detail).slice(0, 300)}`);
  return cond;
};

async function step(name, fn) {
  try { return await fn(); } catch (e) { ok(false, name, e.message); return undefined; }
}

const browser = await chromium.launch({
  executablePath: env.E2E_CHROMIUM, headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run',
    '--disable-component-update', '--disable-sync'],
});

const viewports = [
  { name: 'phone', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
    userAgent: 'Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.47' },
  { name: 'desktop', viewport: { width: 1366, height: 900 } },
];

for (const vp of viewports) {
  const ctx = await browser.newContext({ viewport: vp.viewport, isMobile: vp.isMobile, hasTouch: vp.hasTouch,
    deviceScaleFactor: vp.deviceScaleFactor, userAgent: vp.userAgent, acceptDownloads: true, locale: 'zh-CN' });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const unlabeled = [];
  // every visible input and select has a label (for=id) or an aria-label
  const shot = async (what) => {
    const missing = await page.evaluate(() => [...document.querySelectorAll('input, select')]
      .filter((el) => el.offsetParent !== null && !el.getAttribute('aria-label') && !(el.id && document.querySelector(`label[for="${el.id}"]`)))
      .map((el) => el.id || el.name || el.type));
    if (missing.length) unlabeled.push(`${what}: ${missing.join(',')}`);
    await page.screenshot({ path: join(env.E2E_LOG_DIR, `${vp.name}-${what}.png`), fullPage: true });
  };
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  let transferred = 0;
  cdp.on('Network.loadingFinished', (e) => { transferred += e.encodedDataLength; });
  const apiGet = (path) => page.evaluate(async (p) => { const r = await fetch(p); return { status: r.status, body: await r.json() }; }, path);
  const acct = `/api/v1/accounts/${env.E2E_ACCOUNT}`;

  // sign in, see the balance
  await step(`${vp.name}: sign in`, async () => {
    await page.goto(`${env.E2E_URL}/tenant/`);
    await page.locator('#signin-form').waitFor();
    await page.waitForLoadState('networkidle');
    ok(transferred > 0 && transferred < 150 * 1024, `${vp.name}: the first view is under 150 KB transferred (${transferred} bytes)`, transferred);
    await page.getByLabel('手机号').fill(env.E2E_PHONE);
    await page.getByLabel('密码').fill(env.E2E_PASSWORD);
    await shot('signin');
    await page.getByRole('button', { name: '登录' }).click();
    await page.locator('#balance').waitFor({ timeout: 10000 });
    ok(true, `${vp.name}: sign in with phone and password`);
  });
  const before = await step(`${vp.name}: balance`, async () => {
    const a = (await apiGet(acct)).body;
    const shown = await page.locator('#balance').getAttribute('data-fen');
    const text = await page.locator('#balance').textContent();
    ok(Number(shown) === a.balance_fen && text.includes('¥'), `${vp.name}: the big number is the account's balance`, `${shown} ${text} vs ${a.balance_fen}`);
    await shot('home');
    return a;
  });

  if (vp.name === 'desktop' && before) {
    await step('desktop: cut state', async () => {
      ok(await page.locator('#supply').getAttribute('data-supply') === 'off', 'desktop: the page shows the supply cut');
      const need = await page.locator('#need').textContent();
      ok(need.includes((before.need_fen / 100).toFixed(2)), 'desktop: "pay ¥X to restore" shows the amount the policy needs', need);
    });
    // top up through the sandbox, watch balance and supply change
    await step('desktop: top-up', async () => {
      await page.locator('nav a[href="#topup"]').click();
      await page.getByRole('button', { name: '¥200' }).click();
      ok(await page.getByRole('button', { name: '¥200' }).getAttribute('aria-pressed') === 'true', 'desktop: a preset amount is chosen with aria-pressed');
      await page.locator('#pay').click();
      await page.locator('#order-no').waitFor({ timeout: 10000 });
      const no = await page.locator('#order-no').textContent();
      const modules = await page.locator('#qr').getAttribute('data-modules');
      ok(Number(modules) >= 21, 'desktop: the code_url is drawn as a QR code', modules);
      await shot('topup-qr');
      const r = await fetch(`${env.E2E_SANDBOX}/sandbox/pay/${no}`, { method: 'POST', body: '{}' });
      ok(r.ok, 'desktop: the sandbox pays the order', r.status);
      await page.locator('#receipt').waitFor({ timeout: 20000 });
      const after = (await apiGet(acct)).body;
      ok(after.balance_fen === before.balance_fen + 20000, 'desktop: the receipt comes and the balance rose by ¥200', `${before.balance_fen} -> ${after.balance_fen}`);
      ok((await page.locator('#receipt-balance').textContent()).includes((after.balance_fen / 100).toFixed(2)), 'desktop: the receipt shows the new balance');
      await shot('topup-receipt');
      await page.locator('nav a[href="#home"]').click();
      await page.locator('#balance').waitFor();
      ok(Number(await page.locator('#balance').getAttribute('data-fen')) === after.balance_fen, 'desktop: home shows the new balance');
      ok(await page.locator('#supply').getAttribute('data-supply') === 'on', 'desktop: and the supply back on');
      await shot('home-after-topup');
    });
  }

  // usage chart drawn with data
  await step(`${vp.name}: usage`, async () => {
    await page.locator('nav a[href="#usage"]').click();
    await page.locator('#step').selectOption('hour');
    const d1 = new Date(Date.parse(env.E2E_DAY0 + 'T00:00:00Z') + 86400000).toISOString().slice(0, 10);
    await page.locator('#from').fill(env.E2E_DAY0);
    await page.locator('#to').fill(d1);
    await page.getByRole('button', { name: '查看', exact: true }).last().click();
    await page.waitForFunction(() => document.querySelector('#chart')?.dataset.points === '48', null, { timeout: 10000 });
    const px = await page.evaluate(() => {
      const c = document.querySelector('#chart canvas');
      const g = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let series = 0;
      for (let i = 0; i < g.length; i += 4) if (Math.abs(g[i] - 10) < 30 && Math.abs(g[i + 1] - 92) < 30 && Math.abs(g[i + 2] - 54) < 30 && g[i + 3] > 100) series++;
      return { series, w: c.width, h: c.height };
    });
    ok(px.series > 200, `${vp.name}: the usage chart has the series drawn (${px.series} pixels of its colour)`, JSON.stringify(px));
    const total = Number(await page.locator('#usage-total').getAttribute('data-milli'));
    // 1..5 kWh in turn over 48 hours
    ok(total === 141000, `${vp.name}: the usage table sums the 48 hours (141 kWh)`, total);
    await shot('usage');
  });

  // a statement opened, its total matching the ledger
  await step(`${vp.name}: statement`, async () => {
    await page.locator('nav a[href="#statements"]').click();
    const row = page.locator(`#statements tr[data-period="${env.E2E_PERIOD}"]`);
    await row.waitFor({ timeout: 10000 });
    await row.locator('.open-stmt').click();
    const frame = page.frameLocator('#stmt-frame');
    await frame.locator('body').waitFor({ timeout: 10000 });
    const list = (await apiGet(`${acct}/statements`)).body.statements.find((s) => String(s.period) === env.E2E_PERIOD);
    const ledger = (await apiGet(`${acct}/ledger?kind=consumption&per_page=500`)).body;
    const consumed = -ledger.entries.reduce((s, e) => s + e.amount_fen, 0);
    ok(list && list.posted_fen === consumed, `${vp.name}: the statement's charges equal the ledger's consumption entries`, `${list && list.posted_fen} vs ${consumed}`);
    ok(list && list.closing_fen === list.opening_fen + list.credits_fen - list.debits_fen - list.posted_fen, `${vp.name}: the statement adds up`);
    const html = await frame.locator('body').textContent();
    ok(html.includes((list.posted_fen / 100).toFixed(2)), `${vp.name}: the opened statement shows that total`);
    await shot('statement');
  });

  // ledger and its CSV export
  await step(`${vp.name}: ledger`, async () => {
    await page.locator('nav a[href="#ledger"]').click();
    await page.locator('#ledger tbody tr').first().waitFor({ timeout: 10000 });
    const total = (await apiGet(`${acct}/ledger`)).body.total;
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#ledger-csv').click()]);
    const file = join(env.E2E_LOG_DIR, `${vp.name}-ledger.csv`);
    await dl.saveAs(file);
    const lines = readFileSync(file, 'utf8').trim().split('\r\n');
    ok(lines[0].includes('seq,time_utc,kind,amount_yuan') && lines.length === total + 1, `${vp.name}: the CSV export downloads with every entry`, `${lines.length} lines, ${total} entries`);
    await shot('ledger');
  });

  await step(`${vp.name}: insights and alerts`, async () => {
    await page.locator('nav a[href="#insights"]').click();
    await page.locator('#insights').waitFor({ timeout: 10000 });
    await shot('insights');
    await page.locator('nav a[href="#settings"]').click();
    await page.locator('#contact-form').waitFor({ timeout: 10000 });
    await page.getByLabel('号码').fill(vp.name === 'phone' ? '+8613800000001' : '+8613800000002');
    await page.getByRole('button', { name: '添加' }).click();
    await page.locator('#contacts tr').first().waitFor({ timeout: 10000 });
    ok(await page.locator('#contacts tr').count() >= 1, `${vp.name}: an alert contact is added (a cookie write with the CSRF token)`);
    await shot('settings');
  });

  await step(`${vp.name}: keyboard and language`, async () => {
    await page.locator('#lang').focus();
    await page.keyboard.press('Enter');
    ok(await page.locator('nav a[href="#home"]').textContent() === 'Home', `${vp.name}: the English toggle works from the keyboard`);
    await page.locator('#lang').focus();
    await page.keyboard.press('Enter');
    ok(await page.locator('nav a[href="#home"]').textContent() === '首页', `${vp.name}: and back to Chinese`);
  });

  // sign out
  await step(`${vp.name}: sign out`, async () => {
    await page.locator('#signout').click();
    await page.locator('#signin-form').waitFor({ timeout: 10000 });
    const s = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
    ok(s === 401, `${vp.name}: sign out ends the session`, s);
    await shot('signed-out');
  });
  ok(errors.length === 0, `${vp.name}: no script errors`, errors.join('; '));
  ok(unlabeled.length === 0, `${vp.name}: every input on every page has a label`, unlabeled.join('; '));
  await ctx.close();
}
await browser.close();
