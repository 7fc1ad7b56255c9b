const test = require('node:test');
const assert = require('node:assert');
const { requestPaymentParams, alertSubscription, placeJsapi, paymentFailure } = require('../lib/pay.js');
const { ApiError } = require('../lib/api.js');

const wxp = { appId: 'wxapp', timeStamp: '1764300000', nonceStr: 'ab'.repeat(16), package: 'prepay_id=wx2811', signType: 'RSA', paySign: 'c2ln' };

test('requestPaymentParams hands wx.requestPayment exactly its five fields', () => {
  assert.deepStrictEqual(requestPaymentParams({ wx_request_payment: wxp }),
    { timeStamp: '1764300000', nonceStr: 'ab'.repeat(16), package: 'prepay_id=wx2811', signType: 'RSA', paySign: 'c2ln' });
});

test('requestPaymentParams refuses an order without them or with a wrong package', () => {
  assert.throws(() => requestPaymentParams({ code_url: 'weixin://x' }), /wx_request_payment/);
  assert.throws(() => requestPaymentParams({ wx_request_payment: Object.assign({}, wxp, { paySign: '' }) }), /paySign/);
  assert.throws(() => requestPaymentParams({ wx_request_payment: Object.assign({}, wxp, { package: 'wx2811' }) }), /prepay_id/);
});

test('alertSubscription asks for at most 3 configured templates, none when none', () => {
  assert.strictEqual(alertSubscription([]), null);
  assert.strictEqual(alertSubscription(undefined), null);
  assert.deepStrictEqual(alertSubscription(['A', '', 'B', 'C', 'D']), { tmplIds: ['A', 'B', 'C'] });
});

test('placeJsapi asks for wechat_jsapi without an openid and returns the payment', async () => {
  const seen = [];
  const api = { topup: async (...a) => { seen.push(a); return { out_trade_no: 'T1', wx_request_payment: wxp }; } };
  const r = await placeJsapi(api, 7, 1500);
  assert.deepStrictEqual(seen, [[7, 1500, 'wechat_jsapi']]);
  assert.strictEqual(r.order.out_trade_no, 'T1');
  assert.strictEqual(r.payment.package, 'prepay_id=wx2811');
});

test('placeJsapi: 409 wechat_not_bound means sign in with WeChat; other errors pass', async () => {
  const unbound = { topup: async () => { throw new ApiError(409, 'wechat_not_bound', 'sign in with WeChat first'); } };
  assert.deepStrictEqual(await placeJsapi(unbound, 7, 1500), { needWechat: true, message: 'sign in with WeChat first' });
  const closed = { topup: async () => { throw new ApiError(409, 'account_closed', 'closed'); } };
  await assert.rejects(placeJsapi(closed, 7, 1500), /closed/);
});

test('paymentFailure tells a cancel from an error', () => {
  assert.deepStrictEqual(paymentFailure({ errMsg: 'requestPayment:fail cancel' }), { cancelled: true, text: '已取消支付' });
  assert.strictEqual(paymentFailure({ errMsg: 'requestPayment:fail (detail message)' }).cancelled, false);
});
