// The top-up page's logic without wx (tested in Node): place a JSAPI order,
// check what goes to wx.requestPayment, which alert templates to ask for,
// and how a failed payment reads. The payer is the server's business: it
// pays as the WeChat user bound to the session (docs/tenant.md), so no
// openid is ever sent from here.
const { ApiError } = require('./api.js');

const PAYMENT_KEYS = ['timeStamp', 'nonceStr', 'package', 'signType', 'paySign'];

// an order's wx_request_payment → the fields wx.requestPayment takes
function requestPaymentParams(order) {
  const p = order && order.wx_request_payment;
  if (!p) throw new Error('订单没有支付参数 (no wx_request_payment)');
  for (const k of PAYMENT_KEYS)
    if (typeof p[k] !== 'string' || !p[k]) throw new Error('支付参数缺少 ' + k);
  if (!p.package.startsWith('prepay_id=')) throw new Error('支付参数 package 不是 prepay_id=…');
  const out = {};
  for (const k of PAYMENT_KEYS) out[k] = p[k];
  return out;
}

// WeChat shows at most 3 templates in one request, and only from a tap
function alertSubscription(templates) {
  const ids = (templates || []).filter((t) => typeof t === 'string' && t.length > 0).slice(0, 3);
  return ids.length ? { tmplIds: ids } : null;
}

// {order, payment}, or {needWechat, message} when no WeChat user is bound
// to the session (sign in with WeChat first)
async function placeJsapi(api, accountId, fen) {
  try {
    const order = await api.topup(accountId, fen, 'wechat_jsapi');
    return { order, payment: requestPaymentParams(order) };
  } catch (e) {
    if (e instanceof ApiError && e.status === 409 && e.code === 'wechat_not_bound') return { needWechat: true, message: e.message };
    throw e;
  }
}

// wx.requestPayment's fail → what the page says
function paymentFailure(err) {
  const m = (err && err.errMsg) || String(err);
  return /cancel/i.test(m) ? { cancelled: true, text: '已取消支付' } : { cancelled: false, text: '支付失败：' + m };
}

module.exports = { requestPaymentParams, alertSubscription, placeJsapi, paymentFailure };
