// The tenant API for the mini-program: bearer token sessions (client: app).
// The transport is injected — wx.request in the app, a fake in node --test —
// so this module is plain JS without wx globals.
class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

const SIGN_IN = ['/api/v1/session', '/api/v1/session/sms', '/api/v1/session/wechat', '/api/v1/session/wechat/bind'];

function createClient(opts) {
  const base = opts.baseUrl.replace(/\/$/, '');
  const transport = opts.transport;	// ({url, method, header, data}) → Promise<{statusCode, data}>
  const store = opts.store;		// {get(key), set(key, value), remove(key)}
  let onUnauthenticated = opts.onUnauthenticated || (() => {});

  async function call(method, path, body) {
    const header = { Accept: 'application/json' };
    const token = store.get('token');
    if (token) header.Authorization = 'Bearer ' + token;
    if (body !== undefined) header['Content-Type'] = 'application/json';
    const r = await transport({ url: base + path, method, header, data: body === undefined ? undefined : JSON.stringify(body) });
    let data = r.data;
    if (typeof data === 'string') { try { data = data ? JSON.parse(data) : null; } catch (e) { data = null; } }
    if (r.statusCode >= 200 && r.statusCode < 300) return data;
    const err = data && data.error ? data.error : { code: 'http_' + r.statusCode, message: '服务器返回 ' + r.statusCode };
    // a wrong password or code (a POST to a sign-in route) is not a lost session
    if (r.statusCode === 401 && !(method === 'POST' && SIGN_IN.includes(path))) { store.remove('token'); onUnauthenticated(); }
    throw new ApiError(r.statusCode, err.code, err.message);
  }

  return {
    async signIn(phone, password) {
      const s = await call('POST', '/api/v1/session', { phone: String(phone).trim(), password, client: 'app' });
      store.set('token', s.token);
      return s;
    },
    // sign-in by SMS code: ask for it, then sign in with it
    sendSmsCode: (phone) => call('POST', '/api/v1/session/sms-code', { phone: String(phone).trim() }),
    async signInSms(phone, code) {
      const s = await call('POST', '/api/v1/session/sms', { phone: String(phone).trim(), code: String(code).trim(), client: 'app' });
      store.set('token', s.token);
      return s;
    },
    // wx.login's code: {session} when the WeChat user is bound, {needBind: true} when not (409 bind_phone)
    async signInWechat(code) {
      try {
        const s = await call('POST', '/api/v1/session/wechat', { code });
        store.set('token', s.token);
        return { session: s };
      } catch (e) {
        if (e instanceof ApiError && e.status === 409 && e.code === 'bind_phone') return { needBind: true, message: e.message };
        throw e;
      }
    },
    // binds the WeChat user (a fresh wx.login code) to the phone's tenant user, checked by SMS code
    async bindWechat(code, phone, smsCode) {
      const s = await call('POST', '/api/v1/session/wechat/bind', { code, phone: String(phone).trim(), sms_code: String(smsCode).trim() });
      store.set('token', s.token);
      return s;
    },
    async signOut() {
      try { await call('DELETE', '/api/v1/session'); } finally { store.remove('token'); }
    },
    signedIn: () => !!store.get('token'),
    session: () => call('GET', '/api/v1/session'),
    account: (id) => call('GET', `/api/v1/accounts/${id}`),
    usage: (id, from, to, step) => call('GET', `/api/v1/accounts/${id}/usage?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&step=${step}`),
    insights: (id) => call('GET', `/api/v1/accounts/${id}/insights`),
    ledger: (id, page, kind) => call('GET', `/api/v1/accounts/${id}/ledger?page=${page || 1}&per_page=20${kind ? '&kind=' + kind : ''}`),
    statements: (id) => call('GET', `/api/v1/accounts/${id}/statements`),
    statement: (id, period) => call('GET', `/api/v1/accounts/${id}/statements/${period}`),
    // wechat_jsapi (the default here) pays as the WeChat user bound to the
    // session, so no openid is sent; lib/pay.js reads wx_request_payment
    topup: (id, amountFen, channel) => call('POST', `/api/v1/accounts/${id}/topups`,
      { amount_fen: amountFen, channel: channel || 'wechat_jsapi' }),
    topupStatus: (id, no) => call('GET', `/api/v1/accounts/${id}/topups/${no}`),
    emergencyCredit: (id) => call('POST', `/api/v1/accounts/${id}/emergency-credit`),
    contacts: () => call('GET', '/api/v1/contacts'),
    addContact: (c) => call('POST', '/api/v1/contacts', c),
    removeContact: (cid) => call('DELETE', `/api/v1/contacts/${cid}`),
    setOnUnauthenticated(fn) { onUnauthenticated = fn; },
  };
}

// Polls an order until it is credited, closed or failed (or tries run out).
async function waitCredited(client, accountId, no, opts) {
  const sleep = (opts && opts.sleep) || ((ms) => new Promise((r) => setTimeout(r, ms)));
  const tries = (opts && opts.tries) || 60;
  for (let i = 0; i < tries; i++) {
    const o = await client.topupStatus(accountId, no);
    if (o.status === 'credited' || o.status === 'closed' || o.status === 'failed') return o;
    await sleep(2000);
  }
  return client.topupStatus(accountId, no);
}

module.exports = { createClient, waitCredited, ApiError };
