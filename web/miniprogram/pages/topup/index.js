// Top-up by wx.requestPayment (JSAPI). The server pays as the WeChat user
// bound to this session, so nothing about the payer is sent from here; a
// session without a binding (signed in by password or SMS code) is told to
// sign in with WeChat. The alert subscription is asked in the tap itself:
// WeChat shows wx.requestSubscribeMessage only from a user's tap.
const app = getApp();
const config = require('../../config.js');
const { yuan, parseYuan } = require('../../lib/format.js');
const { waitCredited } = require('../../lib/api.js');
const { alertSubscription, placeJsapi, paymentFailure } = require('../../lib/pay.js');
Page({
  data: { presets: [5000, 10000, 20000, 50000], fen: 10000, custom: '', status: '', needWechat: false, receipt: null, busy: false },
  pick(e) { this.setData({ fen: Number(e.currentTarget.dataset.fen), custom: '' }); },
  onCustom(e) { this.setData({ custom: e.detail.value, fen: parseYuan(e.detail.value) || 0 }); },
  pay() {
    if (!this.data.fen) { wx.showToast({ title: '请输入正确的金额', icon: 'none' }); return; }
    if (this.data.busy) return;
    this.setData({ busy: true, status: '', needWechat: false, receipt: null });
    const sub = alertSubscription(config.alertTemplates);
    // whatever the user answers, the payment goes on
    if (sub) wx.requestSubscribeMessage(Object.assign({}, sub, { complete: () => this.order() }));
    else this.order();
  },
  async order() {
    const id = app.state.current().id;
    try {
      const r = await placeJsapi(app.api, id, this.data.fen);
      if (r.needWechat) { this.setData({ busy: false, needWechat: true, status: '请先用微信登录（首次需绑定手机号）后再支付' }); return; }
      try {
        await new Promise((resolve, reject) => wx.requestPayment(Object.assign({}, r.payment, { success: resolve, fail: reject })));
      } catch (e) {
        this.setData({ busy: false, status: paymentFailure(e).text });
        return;
      }
      this.setData({ status: '等待到账…' });
      const done = await waitCredited(app.api, id, r.order.out_trade_no);
      const a = await app.api.account(id);
      this.setData({ busy: false, status: done.status === 'credited' ? '' : '订单状态：' + done.status,
        receipt: done.status === 'credited' ? { no: done.out_trade_no, amount: yuan(done.amount_fen), balance: yuan(a.balance_fen) } : null });
    } catch (e) { this.setData({ busy: false, status: e.message || e.errMsg }); }
  },
  // wx.login again: a bound WeChat user is signed in, an unbound one binds the phone
  signInWechat() { wx.reLaunch({ url: '/pages/login/index' }); },
});
