// The sign-in view's "验证码登录" in Chromium: ask for a code, the worker
// delivers it to prepay-msg-sandbox, type it, and the home page opens.
// Prints TAP lines without a plan (tenant-signin.sh counts them).
// Environment: SI_URL (the page's origin), SI_PHONE, SI_MSG (the msg
// sandbox), SI_WORKER (a shell command: the worker once), SI_CHROMIUM,
// SI_NODE_MODULES.
import { createRequire } from 'node:module';
import { execSync } from 'node:child_process';
import { join } from 'node:path';

const env = process.env;
const require = createRequire(join(env.SI_NODE_MODULES, 'x.js'));
const { chromium } = require('playwright-core');
const ok = (cond, name, detail) => {
  console.log(`${cond ? 'ok' : 'not ok'} - ${name}`);
  if (!cond && detail !== undefined) console.log(`#   ${String(detail).slice(0, 300)}`);
};

const browser = await chromium.launch({ executablePath: env.SI_CHROMIUM, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
try {
  const page = await (await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 } })).newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${env.SI_URL}/tenant/`);
  await page.locator('#signin-form').waitFor();
  await page.getByRole('link', { name: '验证码登录' }).click();
  ok(await page.getByLabel('短信验证码').isVisible(), 'page: 验证码登录 shows the SMS code field');
  await page.getByLabel('手机号').fill(env.SI_PHONE);
  await page.getByRole('button', { name: '获取验证码' }).click();
  await page.getByText('验证码已发送').waitFor({ timeout: 5000 });
  ok(true, 'page: the code is asked for and the page says it was sent');
  execSync(env.SI_WORKER, { stdio: 'ignore' });
  const lines = (await (await fetch(`${env.SI_MSG}/_sandbox/messages?channel=sms`)).text()).split('\n').filter(Boolean)
    .map((l) => JSON.parse(l)).filter((m) => m.to === `+86${env.SI_PHONE}`);
  const code = lines.length ? JSON.parse(lines[lines.length - 1].text)[0] : '';
  ok(/^[0-9]{6}$/.test(code), 'page: the code arrived at the SMS sandbox', JSON.stringify(lines).slice(0, 200));
  await page.getByLabel('短信验证码').fill(code);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.locator('#balance').waitFor({ timeout: 10000 });
  ok(true, 'page: signed in with the SMS code, the balance shows');
  ok(errors.length === 0, 'page: no script errors', errors.join('; '));
} catch (e) {
  ok(false, 'page: SMS code sign-in', e.message);
} finally {
  await browser.close();
}
