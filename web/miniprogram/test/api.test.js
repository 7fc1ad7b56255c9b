const test = require('node:test');
const assert = require('node:assert');
const { createClient, waitCredited, ApiError } = require('../lib/api.js');

function memStore() {
  const m = new Map();
  return { get: (k) => m.get(k), set: (k, v) => m.set(k, v), remove: (k) => m.delete(k), m };
}

// a fake server: records requests, answers from a table
function fake(routes) {
  const seen = [];
  const transport = async (req) => {
    seen.push(req);
    const key = `${req.method} ${req.url.replace('https://api.example', '').split('?')[0]}`;
    const h = routes[key];
    if (!h) return { statusCode: 404, data: { error: { code: 'not_found', message: key } } };
    return h(req);
  };
  return { transport, seen };
}

test('signIn asks for a bearer session and keeps the token', async () => {
  const store = memStore();
  const f = fake({ 'POST /api/v1/session': (r) => ({ statusCode: 201, data: { token: 'ab'.repeat(16), user: { id: 1 }, accounts: [{ id: 7 }], csrf_token: 'x' } }) });
  const c = createClient({ baseUrl: 'https://api.example/', transport: f.transport, store });
  await c.signIn(' 13800138001 ', 'pw');
  assert.deepStrictEqual(JSON.parse(f.seen[0].data), { phone: '13800138001', password: 'pw', client: 'app' });
  assert.strictEqual(store.get('token'), 'ab'.repeat(16));
  assert.strictEqual(c.signedIn(), true);
});

test('calls carry Authorization: Bearer and parse string bodies', async () => {
  const store = memStore();
  store.set('token', 't0k');
  const f = fake({ 'GET /api/v1/accounts/7': () => ({ statusCode: 200, data: '{"id":7,"balance_fen":100}' }) });
  const c = createClient({ baseUrl: 'https://api.example', transport: f.transport, store });
  const a = await c.account(7);
  assert.strictEqual(a.balance_fen, 100);
  assert.strictEqual(f.seen[0].header.Authorization, 'Bearer t0k');
  assert.strictEqual(f.seen[0].data, undefined);
});

test('a 401 drops the token and tells the app to sign in again', async () => {
  const store = memStore();
  store.set('token', 'old');
  let told = 0;
  const f = fake({ 'GET /api/v1/session': () => ({ statusCode: 401, data: { error: { code: 'unauthenticated', message: 'sign in' } } }) });
  const c = createClient({ baseUrl: 'https://api.example', transport: f.transport, store, onUnauthenticated: () => told++ });
  await assert.rejects(c.session(), (e) => e instanceof ApiError && e.status === 401 && e.code === 'unauthenticated');
  assert.strictEqual(store.get('token'), undefined);
  assert.strictEqual(told, 1);
});

test('a wrong password does not count as a lost session', async () => {
  const store = memStore();
  let told = 0;
  const f = fake({ 'POST /api/v1/session': () => ({ statusCode: 401, data: { error: { code: 'bad_credentials', message: 'wrong' } } }) });
  const c = createClient({ baseUrl: 'https://api.example', transport: f.transport, store, onUnauthenticated: () => told++ });
  await assert.rejects(c.signIn('1', 'x'), /wrong/);
  assert.strictEqual(told, 0);
});

test('top-up: jsapi by default and never an openid (the server knows the payer)', async () => {
  const store = memStore();
  const f = fake({ 'POST /api/v1/accounts/7/topups': (r) => ({ statusCode: 201, data: JSON.parse(r.data) }) });
  const c = createClient({ baseUrl: 'https://api.example', transport: f.transport, store });
  assert.deepStrictEqual(await c.topup(7, 5000), { amount_fen: 5000, channel: 'wechat_jsapi' });
  assert.deepStrictEqual(await c.topup(7, 5000, 'wechat_native'), { amount_fen: 5000, channel: 'wechat_native' });
});

test('waitCredited polls until the order is credited', async () => {
  const states = ['created', 'created', 'credited'];
  let i = 0;
  const client = { topupStatus: async () => ({ out_trade_no: 'T1', status: states[Math.min(i++, 2)] }) };
  const o = await waitCredited(client, 7, 'T1', { sleep: async () => {}, tries: 10 });
  assert.strictEqual(o.status, 'credited');
  assert.strictEqual(i, 3);
});

test('signOut forgets the token even when the server is gone', async () => {
  const store = memStore();
  store.set('token', 't');
  const c = createClient({ baseUrl: 'https://api.example', transport: async () => { throw new Error('offline'); }, store });
  await assert.rejects(c.signOut(), /offline/);
  assert.strictEqual(store.get('token'), undefined);
});

test('SMS code: ask for it, then sign in with it as the app', async () => {
  const store = memStore();
  const f = fake({
    'POST /api/v1/session/sms-code': () => ({ statusCode: 202, data: { sent: true, expires_in_s: 300, resend_after_s: 60 } }),
    'POST /api/v1/session/sms': () => ({ statusCode: 201, data: { token: 'cd'.repeat(16), user: { id: 2 }, accounts: [], csrf_token: 'x' } }),
  });
  const c = createClient({ baseUrl: 'https://api.example', transport: f.transport, store });
  assert.strictEqual((await c.sendSmsCode(' 13800138001')).resend_after_s, 60);
  assert.deepStrictEqual(JSON.parse(f.seen[0].data), { phone: '13800138001' });
  await c.signInSms('13800138001', ' 123456 ');
  assert.deepStrictEqual(JSON.parse(f.seen[1].data), { phone: '13800138001', code: '123456', client: 'app' });
  assert.strictEqual(store.get('token'), 'cd'.repeat(16));
});

test('a wrong SMS code is not a lost session', async () => {
  const store = memStore();
  store.set('token', 'keep');
  let told = 0;
  const f = fake({ 'POST /api/v1/session/sms': () => ({ statusCode: 401, data: { error: { code: 'bad_code', message: 'wrong code' } } }) });
  const c = createClient({ baseUrl: 'https://api.example', transport: f.transport, store, onUnauthenticated: () => told++ });
  await assert.rejects(c.signInSms('13800138001', '000000'), (e) => e.code === 'bad_code');
  assert.strictEqual(told, 0);
  assert.strictEqual(store.get('token'), 'keep');
});

test('wx.login: an unbound user needs a bind, then binding signs in', async () => {
  const store = memStore();
  let bound = false;
  const f = fake({
    'POST /api/v1/session/wechat': () => (bound
      ? { statusCode: 201, data: { token: 'ef'.repeat(16), user: { id: 3 }, accounts: [{ id: 9 }], csrf_token: 'x' } }
      : { statusCode: 409, data: { error: { code: 'bind_phone', message: 'bind your phone' } } }),
    'POST /api/v1/session/wechat/bind': () => { bound = true; return { statusCode: 201, data: { token: '12'.repeat(16), user: { id: 3 }, accounts: [{ id: 9 }], csrf_token: 'x' } }; },
  });
  const c = createClient({ baseUrl: 'https://api.example', transport: f.transport, store });
  const r = await c.signInWechat('code-1');
  assert.strictEqual(r.needBind, true);
  assert.strictEqual(c.signedIn(), false);
  const s = await c.bindWechat('code-2', ' 13800138001', '654321');
  assert.deepStrictEqual(JSON.parse(f.seen[1].data), { code: 'code-2', phone: '13800138001', sms_code: '654321' });
  assert.strictEqual(s.accounts[0].id, 9);
  assert.strictEqual(store.get('token'), '12'.repeat(16));
  const again = await c.signInWechat('code-3');
  assert.strictEqual(again.session.user.id, 3);
  assert.strictEqual(store.get('token'), 'ef'.repeat(16));
});

test('wx.login: other errors are errors, not a bind', async () => {
  const store = memStore();
  const f = fake({
    'POST /api/v1/session/wechat': () => ({ statusCode: 502, data: { error: { code: 'wechat_unavailable', message: 'try again' } } }),
    'POST /api/v1/session/wechat/bind': () => ({ statusCode: 409, data: { error: { code: 'already_bound', message: 'bound already' } } }),
  });
  const c = createClient({ baseUrl: 'https://api.example', transport: f.transport, store });
  await assert.rejects(c.signInWechat('c'), (e) => e.status === 502 && e.code === 'wechat_unavailable');
  await assert.rejects(c.bindWechat('c', '13800138001', '111111'), (e) => e.status === 409 && e.code === 'already_bound');
  assert.strictEqual(c.signedIn(), false);
});
