const app = getApp();
const { yuan } = require('../../lib/format.js');
Page({
  data: { entries: [], page: 1, pages: 1 },
  onShow() { this.load(1); },
  async load(page) {
    if (!(await app.ensureSession())) return;
    try {
      const l = await app.api.ledger(app.state.current().id, page);
      this.setData({ page, pages: Math.max(1, Math.ceil(l.total / l.per_page)),
        entries: l.entries.map((e) => ({ seq: e.seq, at: e.at.replace('T', ' ').slice(0, 16), kind: e.kind, amount: yuan(e.amount_fen), after: yuan(e.balance_after_fen) })) });
    } catch (e) { wx.showToast({ title: e.message, icon: 'none' }); }
  },
  prev() { if (this.data.page > 1) this.load(this.data.page - 1); },
  next() { if (this.data.page < this.data.pages) this.load(this.data.page + 1); },
});
