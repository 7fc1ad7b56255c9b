// Component tests of pages with miniprogram-simulate (j-component on jsdom):
// the WXML is rendered, taps run the page's handlers, and wx.* is faked.
// Pages use Page(); miniprogram-simulate loads Component()s, so Page maps
// its data and handlers onto one. Skipped without the npm dev packages.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');

let simulate = null;
try {
  const { JSDOM } = require('jsdom');
  const dom = new JSDOM('<!doctype html><html><body></body></html>');
  for (const k of ['window', 'document', 'Node', 'Element', 'HTMLElement', 'Event', 'CustomEvent', 'MutationObserver', 'getComputedStyle'])
    global[k] = dom.window[k];
  simulate = require('miniprogram-simulate');
} catch (e) {
  simulate = null;
}
const skip = simulate ? false : 'needs npm ci (miniprogram-simulate, jsdom)';
const root = path.join(__dirname, '..');
const config = require('../config.js');
const { ApiError } = require('../lib/api.js');

const wxp = { appId: 'wxapp', timeStamp: '1764300000', nonceStr: 'ab'.repeat(16), package: 'prepay_id=wx2811', signType: 'RSA', paySign: 'c2ln' };
const flush = () => new Promise((r) => setTimeout(r, 0));
async function settle() { for (let i = 0; i < 10; i++) await flush(); }

// renders pages/NAME with app (getApp()) and wx overrides; calls is what wx.* saw
function page(name, app, wxOver) {
  global.getApp = () => app;
  global.Page = (def) => {
    const { data, ...methods } = def;
    Component({ data, methods });
  };
  const calls = [];
  const fake = (n, f) => (o) => { calls.push([n, o]); return f ? f(o) : undefined; };
  const id = simulate.load(path.join(root, 'pages', name, 'index'), { compiler: 'simulate', rootPath: root });
  const c = simulate.render(id);
  c.attach(document.createElement('parent-wrapper'));
  const w = { showToast: fake('showToast'), reLaunch: fake('reLaunch') };
  for (const [k, f] of Object.entries(wxOver || {})) w[k] = fake(k, f);
  Object.assign(global.wx, w);
  return { c, calls };
}
const text = (c, sel) => (c.querySelector(sel) ? c.querySelector(sel).dom.textContent : null);

test('top-up: the tap asks for the alert subscription, then pays by wx.requestPayment and shows the receipt', { skip }, async () => {
  config.alertTemplates.splice(0, config.alertTemplates.length, 'TPL-low-balance');
  const seen = [];
  const app = {
    state: { current: () => ({ id: 7 }) },
    api: {
      topup: async (...a) => { seen.push(a); return { out_trade_no: 'T7', wx_request_payment: wxp }; },
      topupStatus: async () => ({ out_trade_no: 'T7', status: 'credited', amount_fen: 5000 }),
      account: async () => ({ id: 7, balance_fen: 12345 }),
    },
  };
  const { c, calls } = page('topup', app, {
    requestSubscribeMessage: (o) => o.complete(),
    requestPayment: (o) => o.success({ errMsg: 'requestPayment:ok' }),
  });
  c.querySelector('.pay').dispatchEvent('tap');	// ¥100, the default
  await settle();
  assert.deepStrictEqual(calls.map((x) => x[0]), ['requestSubscribeMessage', 'requestPayment']);
  assert.deepStrictEqual(calls[0][1].tmplIds, ['TPL-low-balance']);
  assert.deepStrictEqual(seen, [[7, 10000, 'wechat_jsapi']]);
  const p = calls[1][1];
  assert.deepStrictEqual([p.timeStamp, p.nonceStr, p.package, p.signType, p.paySign], [wxp.timeStamp, wxp.nonceStr, wxp.package, 'RSA', wxp.paySign]);
  assert.match(text(c, '.receipt'), /充值成功 ¥50\.00/);
  assert.match(text(c, '.receipt'), /当前余额 ¥123\.45/);
  config.alertTemplates.splice(0);
});

test('top-up: a session without a WeChat binding is told to sign in with WeChat', { skip }, async () => {
  const app = {
    state: { current: () => ({ id: 7 }) },
    api: { topup: async () => { throw new ApiError(409, 'wechat_not_bound', 'sign in with WeChat first'); } },
  };
  const { c, calls } = page('topup', app, { requestPayment: (o) => o.success() });
  assert.strictEqual(c.querySelector('.wechat-signin'), undefined);
  c.querySelector('.pay').dispatchEvent('tap');
  await settle();
  assert.deepStrictEqual(calls.map((x) => x[0]), [], 'no subscription asked (no templates), no payment');
  assert.match(text(c, '.status'), /请先用微信登录/);
  c.querySelector('.wechat-signin').dispatchEvent('tap');
  await settle();
  assert.deepStrictEqual(calls.map((x) => x[0] + ' ' + x[1].url), ['reLaunch /pages/login/index']);
});

test('top-up: a cancelled payment says so and waits for no credit', { skip }, async () => {
  let polled = 0;
  const app = {
    state: { current: () => ({ id: 7 }) },
    api: { topup: async () => ({ out_trade_no: 'T8', wx_request_payment: wxp }), topupStatus: async () => { polled++; return {}; } },
  };
  const { c } = page('topup', app, { requestPayment: (o) => o.fail({ errMsg: 'requestPayment:fail cancel' }) });
  c.querySelector('.pay').dispatchEvent('tap');
  await settle();
  assert.strictEqual(text(c, '.status'), '已取消支付');
  assert.strictEqual(polled, 0);
  assert.strictEqual(c.querySelector('.receipt'), undefined);
});

// the login page: wx.login first; a bound WeChat user goes home at once
function loginApp(api) {
  const sessions = [];
  return { sessions, app: { api, state: { setSession: (s) => sessions.push(s) } } };
}
let codes = 0;
const wxLogin = (o) => o.success({ code: 'wxcode-' + ++codes });

test('login: a bound WeChat user is signed in by wx.login and sent home', { skip }, async () => {
  const seen = [];
  const { sessions, app } = loginApp({ signInWechat: async (code) => { seen.push(code); return { session: { user: { id: 1 }, accounts: [{ id: 7 }] } }; } });
  const { c, calls } = page('login', app, { login: wxLogin, switchTab: () => {} });
  await c.instance.onLoad();
  assert.deepStrictEqual(seen, ['wxcode-' + codes]);
  assert.deepStrictEqual(sessions.map((s) => s.user.id), [1]);
  assert.deepStrictEqual(calls.filter((x) => x[0] === 'switchTab').map((x) => x[1].url), ['/pages/home/index']);
});

test('login: an unbound WeChat user binds the phone with an SMS code and a fresh wx.login code', { skip }, async () => {
  const binds = [];
  const { sessions, app } = loginApp({
    signInWechat: async () => ({ needBind: true, message: 'bind your phone' }),
    bindWechat: async (code, phone, sms) => { binds.push([code, phone, sms]); return { user: { id: 2 }, accounts: [] }; },
  });
  const { c, calls } = page('login', app, { login: wxLogin, switchTab: () => {} });
  await c.instance.onLoad();
  await settle();
  assert.match(c.dom.textContent, /请绑定手机号/);
  assert.match(text(c, '.primary'), /绑定并登录/);
  assert.match(c.dom.textContent, /短信验证码.*获取验证码/, 'the SMS code field and its send button are shown');
  assert.doesNotMatch(c.dom.textContent, /验证码登录|密码登录/, 'no switching away while binding');
  const first = 'wxcode-' + codes;
  c.instance.onPhone({ detail: { value: '13800138001' } });
  c.instance.onSmsCode({ detail: { value: '123456' } });
  c.querySelector('.primary').dispatchEvent('tap');
  await settle();
  assert.strictEqual(binds.length, 1);
  assert.notStrictEqual(binds[0][0], first, 'a wx.login code is used once: the bind gets a new one');
  assert.deepStrictEqual(binds[0].slice(1), ['13800138001', '123456']);
  assert.deepStrictEqual(sessions.map((s) => s.user.id), [2]);
  assert.deepStrictEqual(calls.filter((x) => x[0] === 'login').length, 2);
});
