const app = getApp();
const { homeView } = require('../../lib/format.js');
Page({
  data: { view: null, account: null },
  async onShow() {
    try {
      if (!(await app.ensureSession())) return;
      const a = await app.api.account(app.state.current().id);
      this.setData({ account: a, view: homeView(a) });
    } catch (e) { wx.showToast({ title: e.message, icon: 'none' }); }
  },
  topup() { wx.navigateTo({ url: '/pages/topup/index' }); },
  statements() { wx.navigateTo({ url: '/pages/statements/index' }); },
  async emergency() {
    try { await app.api.emergencyCredit(app.state.current().id); this.onShow(); } catch (e) { wx.showToast({ title: e.message, icon: 'none' }); }
  },
});
