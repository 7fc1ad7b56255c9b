const config = require('./config.js');
const { createClient } = require('./lib/api.js');
const { createState } = require('./lib/state.js');

const store = {
  get: (k) => wx.getStorageSync(k),
  set: (k, v) => wx.setStorageSync(k, v),
  remove: (k) => wx.removeStorageSync(k),
};
const transport = (req) => new Promise((resolve, reject) => {
  wx.request({ url: req.url, method: req.method, header: req.header, data: req.data, dataType: 'json',
    success: (r) => resolve({ statusCode: r.statusCode, data: r.data }), fail: (e) => reject(new Error(e.errMsg)) });
});

App({
  onLaunch() {
    this.api = createClient({ baseUrl: config.baseUrl, transport, store,
      onUnauthenticated: () => wx.reLaunch({ url: '/pages/login/index' }) });
    this.state = createState(store);
  },
  // loads the session once per launch; false sends the page to sign-in
  async ensureSession() {
    if (this.state.current()) return true;
    if (!this.api.signedIn()) { wx.reLaunch({ url: '/pages/login/index' }); return false; }
    this.state.setSession(await this.api.session());
    return true;
  },
});
