const app = getApp();
const { yuan } = require('../../lib/format.js');
Page({
  data: { list: [] },
  async onShow() {
    if (!(await app.ensureSession())) return;
    try {
      const s = await app.api.statements(app.state.current().id);
      this.setData({ list: s.statements.map((x) => ({ period: x.period, label: String(x.period).replace(/(\d{4})(\d{2})/, '$1-$2'),
        opening: yuan(x.opening_fen), credits: yuan(x.credits_fen), posted: yuan(x.posted_fen), closing: yuan(x.closing_fen) })) });
    } catch (e) { wx.showToast({ title: e.message, icon: 'none' }); }
  },
});
