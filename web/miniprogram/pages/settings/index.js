const app = getApp();
const config = require('../../config.js');
Page({
  data: { contacts: [], phone: '' },
  async onShow() {
    if (!(await app.ensureSession())) return;
    try { this.setData({ contacts: (await app.api.contacts()).contacts }); } catch (e) { wx.showToast({ title: e.message, icon: 'none' }); }
  },
  onPhone(e) { this.setData({ phone: e.detail.value }); },
  async add() {
    try { await app.api.addContact({ channel: 'sms', address: this.data.phone }); this.onShow(); } catch (e) { wx.showToast({ title: e.message, icon: 'none' }); }
  },
  async remove(e) {
    try { await app.api.removeContact(e.currentTarget.dataset.id); this.onShow(); } catch (err) { wx.showToast({ title: err.message, icon: 'none' }); }
  },
  // WeChat alert messages need the user's consent per template
  subscribe() {
    if (!config.alertTemplates.length) { wx.showToast({ title: '园区未配置微信提醒模板', icon: 'none' }); return; }
    wx.requestSubscribeMessage({ tmplIds: config.alertTemplates, success: () => wx.showToast({ title: '已订阅' }) });
  },
  async signOut() { await app.api.signOut(); app.state.clear(); wx.reLaunch({ url: '/pages/login/index' }); },
});
