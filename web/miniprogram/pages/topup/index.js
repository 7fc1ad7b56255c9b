const app = getApp();
const { yuan, parseYuan } = require('../../lib/format.js');
const { waitCredited } = require('../../lib/api.js');
Page({
  data: { presets: [5000, 10000, 20000, 50000], fen: 10000, custom: '', status: '', receipt: null },
  pick(e) { this.setData({ fen: Number(e.currentTarget.dataset.fen), custom: '' }); },
  onCustom(e) { this.setData({ custom: e.detail.value, fen: parseYuan(e.detail.value) || 0 }); },
  // wx.login gives a code; the openid for JSAPI comes from the server's
  // jscode2session (not built yet: docs/tenant.md "Not yet"), so the
  // mini-program pays by JSAPI only once openid is known
  async pay() {
    if (!this.data.fen) { wx.showToast({ title: '请输入正确的金额', icon: 'none' }); return; }
    const id = app.state.current().id;
    const openid = wx.getStorageSync('openid');
    try {
      const o = await app.api.topup(id, this.data.fen, openid || undefined);
      if (o.wx_request_payment) {
        await new Promise((resolve, reject) => wx.requestPayment(Object.assign({}, o.wx_request_payment, { success: resolve, fail: reject })));
      } else {
        this.setData({ status: '请在电脑上扫码或使用演示支付页：' + (o.pay_url || o.code_url) });
      }
      this.setData({ status: '等待到账…' });
      const done = await waitCredited(app.api, id, o.out_trade_no);
      const a = await app.api.account(id);
      this.setData({ status: '', receipt: { no: done.out_trade_no, amount: yuan(done.amount_fen), state: done.status, balance: yuan(a.balance_fen) } });
    } catch (e) { this.setData({ status: e.message || e.errMsg }); }
  },
});
