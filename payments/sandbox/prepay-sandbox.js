#!/usr/bin/env node
// prepay-sandbox: a WeChat Pay API v3 subset on loopback for the demo and
// the tests (docs/payments.md). Written against Node's own crypto, so it is
// also an implementation independent of our C codecs: it checks our request
// signatures with the merchant public key, signs its answers and
// notifications with its platform key, encrypts resources with the APIv3
// key, and delivers notifications on WeChat Pay's retry schedule divided by
// [sandbox] time_scale. Orders live in memory: a restart forgets them.
//
//   prepay-sandbox -c CONFIG
//
// Alipay: POST /alipay/gateway.do (alipay.trade.precreate, RSA2 both ways)
// and form notifications that count as delivered only on the body "success";
// "pay" with {"state": "TRADE_FINISHED"} for the second status.
//
// Control (not part of WeChat Pay; JSON bodies, all optional):
//   POST /sandbox/pay/{out_trade_no} {amount, mchid, appid, state, copies,
//        concurrent, delay_ms, drop}   pay an order: a wrong amount/mchid,
//        a non-SUCCESS state, N copies (sequential or at once), later, never
//   GET  /sandbox/pay/{out_trade_no}  a page with a "pay" button (the demo)
//   GET  /sandbox/orders/{out_trade_no}  the order and its deliveries
//   POST /sandbox/notify/{out_trade_no}  deliver its notification again
//   POST /sandbox/refund-plan/{out_trade_no} {fail, fail_status, fail_code,
//        outcome, settle_ms, drop, copies, concurrent}   what refunds of this
//        order meet: the first `fail` refund calls answer fail_status
//        (500 SYSTEM_ERROR), or a 4xx refusal with fail_code; the refund then
//        ends `outcome` (SUCCESS, CLOSED, ABNORMAL) after settle_ms and is
//        notified (signed, encrypted) `copies` times, or never (drop)
//   GET  /sandbox/refunds/{out_refund_no}  the refund and its deliveries
//   POST /sandbox/refund-notify/{out_refund_no}  deliver its notification again
//   GET  /healthz
//
// Mini-program login: GET /sns/jscode2session?appid&secret&js_code&grant_type=
// authorization_code against [wechat] appid and secret (the mini-program's).
// The openid is derived from the code's prefix (up to the first "-"), so a
// test that logs in twice as "alice-1" and "alice-2" is the same WeChat user;
// each code works once (40163 after), a code starting "bad" is 40029.
// A JSAPI order must name a payer.openid this sandbox issued for the order's
// appid (400 PARAM_ERROR otherwise, as WeChat Pay refuses an openid of
// another appid); the merchant's appids are [wechatpay] appid and the
// mini-program's [wechat] appid. Issued openids live in memory too.
//
// Refunds: POST /v3/refund/domestic/refunds (idempotent by out_refund_no,
// at most the order's amount in all), GET /v3/refund/domestic/refunds/{no},
// REFUND.SUCCESS / REFUND.CLOSED / REFUND.ABNORMAL notifications to the
// refund's notify_url on WeChat Pay's retry schedule.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');

const RETRY_S = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600];
const MAX_SKEW_S = 300;

function die(msg) {
	process.stderr.write(`prepay-sandbox: ${msg}\n`);
	process.exit(1);
}
function log(msg) {
	process.stderr.write(`prepay-sandbox: ${msg}\n`);
}

// The INI subset lib/config.c reads; *_file secrets and relative paths resolved.
function readConfig(file) {
	const conf = {};
	let section = '';
	const base = path.dirname(path.resolve(file));
	for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
		const line = raw.trim();
		if (!line || line[0] === '#' || line[0] === ';') continue;
		const m = /^\[([a-z_]+)\]$/.exec(line);
		if (m) { section = m[1]; conf[section] = conf[section] || {}; continue; }
		const i = line.indexOf('=');
		if (i < 0) die(`${file}: '${line}' is not key = value`);
		let k = line.slice(0, i).trim(), v = line.slice(i + 1).trim();
		if (k.endsWith('_file')) {
			k = k.slice(0, -5);
			v = fs.readFileSync(path.resolve(base, v), 'utf8').replace(/\n$/, '');
		}
		(conf[section] = conf[section] || {})[k] = v;
	}
	return conf;
}

const args = process.argv.slice(2);
const ci = args.indexOf('-c');
const confFile = ci >= 0 ? args[ci + 1] : process.env.PREPAY_CONF;
if (!confFile) die('usage: prepay-sandbox -c CONFIG');
const conf = readConfig(confFile);
const sb = conf.sandbox || {}, wp = conf.wechatpay || {};
for (const [s, k] of [['sandbox', 'platform_key'], ['sandbox', 'merchant_public_key'], ['wechatpay', 'mchid'],
	['wechatpay', 'appid'], ['wechatpay', 'apiv3_key'], ['wechatpay', 'public_key_id']])
	if (!(conf[s] || {})[k]) die(`[${s}] ${k} is not set (payments/sandbox/keys.sh makes the keys and prints the lines)`);
const platformKey = crypto.createPrivateKey(sb.platform_key);
const merchantPub = crypto.createPublicKey(fs.readFileSync(path.resolve(path.dirname(path.resolve(confFile)), sb.merchant_public_key)));
const apiv3 = Buffer.from(wp.apiv3_key);
if (apiv3.length !== 32) die('[wechatpay] apiv3_key is not 32 bytes');
const serial = wp.public_key_id;
const timeScale = Number(sb.time_scale || 1);
const [host, port] = (sb.listen || '127.0.0.1:8091').split(':');

const orders = new Map();	// out_trade_no → order
const refunds = new Map();	// out_refund_no → refund
const refundPlans = new Map();	// out_trade_no → what its refunds meet
let refundSeq = 0;
const ali = conf.alipay || {};
let txnSeq = 0;

function sign(body) {
	const ts = String(Math.floor(Date.now() / 1000)), nonce = crypto.randomBytes(16).toString('hex');
	const signature = crypto.sign('sha256', Buffer.from(`${ts}\n${nonce}\n${body}\n`), platformKey).toString('base64');
	return { 'Wechatpay-Serial': serial, 'Wechatpay-Signature': signature, 'Wechatpay-Timestamp': ts,
		'Wechatpay-Nonce': nonce, 'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
		'Request-ID': crypto.randomUUID() };
}

function answer(res, status, obj, extra) {
	const body = obj === undefined ? '' : JSON.stringify(obj);
	const h = Object.assign(sign(body), extra || {});
	if (body) h['Content-Type'] = 'application/json; charset=utf-8';
	res.writeHead(status, h);
	res.end(body);
}
const fail = (res, status, code, message) => answer(res, status, { code, message });

// Our requests: WECHATPAY2-SHA256-RSA2048 over METHOD\nURL\nts\nnonce\nbody\n.
function checkAuth(req, body) {
	const h = req.headers.authorization || '';
	if (!h.startsWith('WECHATPAY2-SHA256-RSA2048 ')) return 'no WECHATPAY2-SHA256-RSA2048 Authorization';
	const f = {};
	for (const m of h.slice(26).matchAll(/(\w+)="([^"]*)"/g)) f[m[1]] = m[2];
	for (const k of ['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no'])
		if (!f[k]) return `Authorization lacks ${k}`;
	if (f.mchid !== wp.mchid) return `mchid ${f.mchid} is not ${wp.mchid}`;
	if (Math.abs(Date.now() / 1000 - Number(f.timestamp)) >= MAX_SKEW_S) return 'timestamp too far from now';
	const msg = `${req.method}\n${req.url}\n${f.timestamp}\n${f.nonce_str}\n${body}\n`;
	if (!crypto.verify('sha256', Buffer.from(msg), merchantPub, Buffer.from(f.signature, 'base64')))
		return 'signature does not verify with the merchant public key';
	return null;
}

function transaction(o) {
	const t = { appid: o.paid_appid || o.appid, mchid: o.paid_mchid || o.mchid, out_trade_no: o.out_trade_no,
		trade_type: o.trade_type, trade_state: o.state, trade_state_desc: o.state === 'SUCCESS' ? '支付成功' : o.state,
		attach: '', amount: { total: o.paid_total ?? o.total, currency: 'CNY' } };
	if (o.transaction_id) {
		Object.assign(t, { transaction_id: o.transaction_id, bank_type: 'OTHERS', success_time: o.success_time });
		t.amount.payer_total = t.amount.total;
		t.amount.payer_currency = 'CNY';
	}
	if (o.openid) t.payer = { openid: o.openid };
	return t;
}

function notification(o) {
	const nonce = crypto.randomBytes(9).toString('base64').slice(0, 12), aad = 'transaction';
	const c = crypto.createCipheriv('aes-256-gcm', apiv3, Buffer.from(nonce));
	c.setAAD(Buffer.from(aad));
	const ct = Buffer.concat([c.update(JSON.stringify(transaction(o))), c.final(), c.getAuthTag()]).toString('base64');
	return JSON.stringify({ id: `EV-${crypto.randomUUID()}`, create_time: new Date().toISOString().replace(/\.\d+Z$/, '+00:00'),
		resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', summary: '支付成功',
		resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: ct, associated_data: aad, nonce } });
}

// Alipay: RSA2 over the parameters but sign/sign_type, without empty ones, sorted.
const aliContent = (p) => Object.keys(p).filter((k) => k !== 'sign' && k !== 'sign_type' && p[k] !== '' && p[k] !== undefined)
	.sort().map((k) => `${k}=${p[k]}`).join('&');
const aliForm = (p) => Object.entries(p).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
const fmtBeijing = (ms) => new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' ');

function aliGateway(req, res, body) {
	const p = Object.fromEntries(new URLSearchParams(body));
	const answer = (key, obj) => {
		const content = JSON.stringify(obj);
		const sign = crypto.sign('sha256', Buffer.from(content), platformKey).toString('base64');
		res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
		res.end(`{"${key}":${content},"sign":"${sign}"}`);
	};
	const key = `${(p.method || 'unknown').replace(/\./g, '_')}_response`;
	if (p.app_id !== ali.app_id) return answer(key, { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-app-id', sub_msg: 'app_id' });
	if (p.sign_type !== 'RSA2' || !p.sign || !crypto.verify('sha256', Buffer.from(aliContent(p)), merchantPub, Buffer.from(p.sign, 'base64'))) {
		log(`refused Alipay ${p.method}: bad signature`);
		return answer(key, { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature', sub_msg: 'signature' });
	}
	if (p.method !== 'alipay.trade.precreate') return answer(key, { code: '40004', msg: 'Business Failed', sub_msg: 'not in the sandbox' });
	const b = JSON.parse(p.biz_content || '{}');
	if (!/^\d+(\.\d{1,2})?$/.test(b.total_amount || '') || !b.out_trade_no || !b.subject)
		return answer(key, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.INVALID_PARAMETER', sub_msg: 'total_amount, out_trade_no, subject' });
	const [y, f = ''] = b.total_amount.split('.');
	const total = Number(y) * 100 + Number(f.padEnd(2, '0'));
	let o = orders.get(b.out_trade_no);
	if (!o) {
		o = { provider: 'alipay', out_trade_no: b.out_trade_no, appid: p.app_id, mchid: ali.seller_id, total, trade_type: 'ALIPAY',
			notify_url: p.notify_url, state: 'NOTPAY', deliveries: [], code_url: `https://qr.alipay.com/sandbox${crypto.randomBytes(6).toString('hex')}` };
		orders.set(o.out_trade_no, o);
	}
	answer(key, { code: '10000', msg: 'Success', out_trade_no: o.out_trade_no, qr_code: o.code_url });
}

function aliNotification(o, status) {
	const fen = o.paid_total ?? o.total;
	const p = { notify_time: fmtBeijing(Date.now()), notify_type: 'trade_status_sync', notify_id: crypto.randomUUID(),
		app_id: o.paid_appid || o.appid, charset: 'utf-8', version: '1.0', sign_type: 'RSA2', trade_no: o.transaction_id,
		out_trade_no: o.out_trade_no, total_amount: yuan(fen), receipt_amount: yuan(fen), seller_id: o.paid_mchid || o.mchid,
		trade_status: status, gmt_payment: fmtBeijing(Date.parse(o.success_time)), buyer_id: '2088102177846880' };
	p.sign = crypto.sign('sha256', Buffer.from(aliContent(p)), platformKey).toString('base64');
	return aliForm(p);
}

// One delivery; resolves to the HTTP status (0: no answer).
function post(urlText, body, form) {
	return new Promise((resolve) => {
		const u = new URL(urlText);
		const headers = form ? { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }
			: Object.assign(sign(body), { 'Content-Type': 'application/json' });
		headers['Content-Length'] = Buffer.byteLength(body);
		const req = http.request({ host: u.hostname, port: u.port || 80, path: u.pathname, method: 'POST', timeout: 5000, headers },
			(res) => {
				const parts = [];
				res.on('data', (d) => parts.push(d));
				// Alipay counts only the body "success"; WeChat Pay any 2xx
				res.on('end', () => resolve(form && Buffer.concat(parts).toString().trim() !== 'success' ? -res.statusCode : res.statusCode));
			});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', () => resolve(0));
		req.end(body);
	});
}

// WeChat's schedule: after each failure wait RETRY_S[i] / time_scale.
async function deliver(o, attempt) {
	const alipay = o.provider === 'alipay';
	const status = await post(o.notify_url, alipay ? aliNotification(o, o.ali_status || 'TRADE_SUCCESS') : notification(o), alipay);
	o.deliveries.push({ at: new Date().toISOString(), attempt, status });
	if (status >= 200 && status < 300) return;
	if (attempt >= RETRY_S.length) { log(`${o.out_trade_no}: gave up after ${attempt + 1} deliveries`); return; }
	setTimeout(() => deliver(o, attempt + 1), RETRY_S[attempt] * 1000 / timeScale).unref();
}

// Refunds: the API's refund object, and the notification's plaintext.
function refundObject(r) {
	const o = { refund_id: r.refund_id, out_refund_no: r.out_refund_no, transaction_id: r.transaction_id,
		out_trade_no: r.out_trade_no, channel: 'ORIGINAL', user_received_account: '支付用户零钱', status: r.status,
		create_time: r.create_time, funds_account: 'AVAILABLE',
		amount: { total: r.total, refund: r.refund, payer_total: r.total, payer_refund: r.refund, settlement_refund: r.refund,
			settlement_total: r.total, discount_refund: 0, currency: 'CNY', refund_fee: 0 } };
	if (r.success_time) o.success_time = r.success_time;
	return o;
}
function refundNotification(r) {
	const nonce = crypto.randomBytes(9).toString('base64').slice(0, 12), aad = 'refund';
	const plain = { mchid: r.mchid, out_trade_no: r.out_trade_no, transaction_id: r.transaction_id, out_refund_no: r.out_refund_no,
		refund_id: r.refund_id, refund_status: r.status, user_received_account: '支付用户零钱',
		amount: { total: r.total, refund: r.refund, payer_total: r.total, payer_refund: r.refund } };
	if (r.success_time) plain.success_time = r.success_time;
	const c = crypto.createCipheriv('aes-256-gcm', apiv3, Buffer.from(nonce));
	c.setAAD(Buffer.from(aad));
	const ct = Buffer.concat([c.update(JSON.stringify(plain)), c.final(), c.getAuthTag()]).toString('base64');
	const summary = { SUCCESS: '退款成功', CLOSED: '退款关闭', ABNORMAL: '退款异常' }[r.status];
	return JSON.stringify({ id: `EV-${crypto.randomUUID()}`, create_time: new Date().toISOString().replace(/\.\d+Z$/, '+00:00'),
		resource_type: 'encrypt-resource', event_type: `REFUND.${r.status}`, summary,
		resource: { original_type: 'refund', algorithm: 'AEAD_AES_256_GCM', ciphertext: ct, associated_data: aad, nonce } });
}
async function deliverRefund(r, attempt) {
	if (!r.notify_url) return;
	const status = await post(r.notify_url, refundNotification(r), false);
	r.deliveries.push({ at: new Date().toISOString(), attempt, status });
	if (status >= 200 && status < 300) return;
	if (attempt >= RETRY_S.length) { log(`refund ${r.out_refund_no}: gave up after ${attempt + 1} deliveries`); return; }
	setTimeout(() => deliverRefund(r, attempt + 1), RETRY_S[attempt] * 1000 / timeScale).unref();
}
// The refund ends as its order's plan says, then WeChat Pay tells the merchant.
function settleRefund(r, plan) {
	setTimeout(async () => {
		r.status = plan.outcome || 'SUCCESS';
		if (r.status === 'SUCCESS') r.success_time = new Date().toISOString().replace(/\.\d+Z$/, '+00:00');
		if (plan.drop) return;
		const copies = Math.min(Number(plan.copies || 1), 1000);
		if (plan.concurrent) await Promise.all(Array.from({ length: copies }, () => deliverRefund(r, 0)));
		else for (let i = 0; i < copies; i++) await deliverRefund(r, 0);
	}, Number(plan.settle_ms ?? 20)).unref();
}
function createRefund(req, res, body) {
	let b;
	try { b = JSON.parse(body); } catch { return fail(res, 400, 'PARAM_ERROR', 'the body is not JSON'); }
	if (!/^[0-9A-Za-z_\-|*@]{1,64}$/.test(b.out_refund_no || '')) return fail(res, 400, 'PARAM_ERROR', 'out_refund_no');
	const o = b.out_trade_no ? orders.get(b.out_trade_no) : [...orders.values()].find((x) => x.transaction_id === b.transaction_id);
	if (!o || o.provider === 'alipay') return fail(res, 404, 'RESOURCE_NOT_EXISTS', '订单不存在');
	const a = b.amount || {};
	if (!Number.isInteger(a.refund) || a.refund <= 0 || !Number.isInteger(a.total) || a.currency !== 'CNY')
		return fail(res, 400, 'PARAM_ERROR', 'amount.refund, amount.total, amount.currency');
	if (b.notify_url !== undefined && !/^https?:\/\/[^?]+$/.test(b.notify_url)) return fail(res, 400, 'PARAM_ERROR', 'notify_url');
	const plan = refundPlans.get(o.out_trade_no) || {};
	if (plan.fail > 0) {
		plan.fail--;
		const st = Number(plan.fail_status || 500);
		log(`refund ${b.out_refund_no}: failing on purpose with HTTP ${st}`);
		return fail(res, st, plan.fail_code || (st >= 500 ? 'SYSTEM_ERROR' : 'INVALID_REQUEST'), 'sandbox failure injection');
	}
	let r = refunds.get(b.out_refund_no);
	if (r) {
		// the same out_refund_no again: the same refund, if asked the same way
		if (r.out_trade_no !== o.out_trade_no || r.refund !== a.refund) return fail(res, 400, 'INVALID_REQUEST', 'out_refund_no was used with other parameters');
		return answer(res, 200, refundObject(r));
	}
	if (o.state !== 'SUCCESS') return fail(res, 400, 'INVALID_REQUEST', '订单未支付');
	if (a.total !== (o.paid_total ?? o.total)) return fail(res, 400, 'INVALID_REQUEST', 'amount.total is not the order amount');
	const taken = [...refunds.values()].filter((x) => x.out_trade_no === o.out_trade_no && x.status !== 'CLOSED' && x.status !== 'ABNORMAL')
		.reduce((n, x) => n + x.refund, 0);
	if (taken + a.refund > a.total) return fail(res, 400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额');
	r = { out_refund_no: b.out_refund_no, out_trade_no: o.out_trade_no, transaction_id: o.transaction_id, mchid: o.mchid,
		refund_id: `50${String(Date.now()).slice(-10)}${String(++refundSeq).padStart(17, '0')}`, total: a.total, refund: a.refund,
		status: 'PROCESSING', create_time: new Date().toISOString().replace(/\.\d+Z$/, '+00:00'), notify_url: b.notify_url,
		reason: b.reason || '', deliveries: [] };
	refunds.set(r.out_refund_no, r);
	settleRefund(r, plan);
	answer(res, 200, refundObject(r));
}

function readBody(req, max) {
	return new Promise((resolve, reject) => {
		let n = 0;
		const parts = [];
		req.on('data', (d) => { n += d.length; if (n > max) { reject(new Error('too large')); req.destroy(); } else parts.push(d); });
		req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
		req.on('error', reject);
	});
}

function createOrder(req, res, body, type) {
	let b;
	try { b = JSON.parse(body); } catch { return fail(res, 400, 'PARAM_ERROR', 'the body is not JSON'); }
	if (![wp.appid, wx.appid].includes(b.appid) || b.mchid !== wp.mchid) return fail(res, 400, 'APPID_MCHID_NOT_MATCH', 'appid and mchid do not match');
	if (!/^[0-9A-Za-z_\-|*]{6,32}$/.test(b.out_trade_no || '')) return fail(res, 400, 'PARAM_ERROR', 'out_trade_no');
	if (!b.amount || !Number.isInteger(b.amount.total) || b.amount.total <= 0) return fail(res, 400, 'PARAM_ERROR', 'amount.total');
	if (!b.notify_url || !b.description) return fail(res, 400, 'PARAM_ERROR', 'notify_url and description are required');
	if (type === 'JSAPI' && !(b.payer && b.payer.openid)) return fail(res, 400, 'PARAM_ERROR', 'payer.openid');
	if (type === 'JSAPI' && issued.get(b.payer.openid) !== b.appid) {
		log(`refused JSAPI order ${b.out_trade_no}: openid ${b.payer.openid} was not issued for ${b.appid}`);
		return fail(res, 400, 'PARAM_ERROR', 'appid和openid不匹配 (the openid is not a user of this appid)');
	}
	let o = orders.get(b.out_trade_no);
	if (o && (o.total !== b.amount.total || o.trade_type !== type)) return fail(res, 400, 'INVALID_REQUEST', 'out_trade_no was used with other parameters');
	if (!o) {
		o = { out_trade_no: b.out_trade_no, appid: b.appid, mchid: b.mchid, total: b.amount.total, trade_type: type,
			notify_url: b.notify_url, openid: b.payer && b.payer.openid, state: 'NOTPAY', deliveries: [],
			prepay_id: `wx${Date.now()}${crypto.randomBytes(8).toString('hex')}`,
			code_url: `weixin://wxpay/bizpayurl?pr=${crypto.randomBytes(6).toString('hex')}` };
		orders.set(o.out_trade_no, o);
	}
	answer(res, 200, type === 'JSAPI' ? { prepay_id: o.prepay_id } : { code_url: o.code_url });
}

async function pay(o, opt) {
	if (o.state === 'SUCCESS' && !opt.again) return;
	o.state = o.provider === 'alipay' ? 'SUCCESS' : opt.state || 'SUCCESS';
	o.transaction_id = o.transaction_id || `${o.provider === 'alipay' ? '2026' : '42000'}${String(Date.now()).slice(-10)}${String(++txnSeq).padStart(13, '0')}`;
	if (o.provider === 'alipay') o.ali_status = opt.state || 'TRADE_SUCCESS';
	o.success_time = new Date().toISOString().replace(/\.\d+Z$/, '+00:00');
	if (opt.amount !== undefined) o.paid_total = opt.amount;
	if (opt.mchid) o.paid_mchid = opt.mchid;
	if (opt.appid) o.paid_appid = opt.appid;
	if (opt.drop) return;
	const copies = Math.min(Number(opt.copies || 1), 1000);
	const send = async () => {
		if (opt.concurrent) await Promise.all(Array.from({ length: copies }, () => deliver(o, 0)));
		else for (let i = 0; i < copies; i++) await deliver(o, 0);
	};
	if (opt.delay_ms) setTimeout(send, Number(opt.delay_ms)).unref();
	else await send();
}

// The trade bill of one Beijing day: BOM, backtick-prefixed values, yuan, summary.
const bills = new Map();
const yuan = (fen) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
function tradeBill(date) {
	const rows = [];
	let total = 0;
	for (const o of orders.values()) {
		if (o.state !== 'SUCCESS' || !o.success_time || o.provider === 'alipay') continue;
		const bj = new Date(Date.parse(o.success_time) + 8 * 3600 * 1000).toISOString();
		if (bj.slice(0, 10) !== date) continue;
		const fen = o.paid_total ?? o.total;
		total += fen;
		rows.push([`${bj.slice(0, 10)} ${bj.slice(11, 19)}`, o.paid_appid || o.appid, o.paid_mchid || o.mchid, '0', '',
			o.transaction_id, o.out_trade_no, o.openid || '', o.trade_type, 'SUCCESS', 'OTHERS', 'CNY', yuan(fen), '0.00',
			'0', '0', '0.00', '0.00', '', '', 'Prepaid energy top-up', '', '0.00000', '0.60%', yuan(fen), '0.00', '']);
	}
	const line = (v) => v.map((x) => `\`${x}`).join(',');
	return '\uFEFF交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,' +
		'应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,' +
		'订单金额,申请退款金额,费率备注\r\n' + rows.map((r) => line(r) + '\r\n').join('') +
		'总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n' +
		line([rows.length, yuan(total), '0.00', '0.00', '0.00000', yuan(total), '0.00']) + '\r\n';
}

const payPage = (no) => `<!doctype html><meta charset="utf-8"><title>Sandbox WeChat Pay</title>
<h1>Sandbox WeChat Pay</h1><p>Order <code>${no}</code></p>
<button onclick="fetch(location.pathname,{method:'POST',body:'{}'}).then(r=>r.json()).then(j=>document.getElementById('s').textContent=j.state)">Pay</button>
<p id="s"></p>`;

// jscode2session as WeChat answers it: HTTP 200 always, errcode on failure
const wx = conf.wechat || {};
const usedCodes = new Set();
const issued = new Map();	// openid → the appid jscode2session gave it for
function jscode2session(res, q) {
	const appid = q.get('appid') || '', secret = q.get('secret') || '', code = q.get('js_code') || '';
	const err = (errcode, errmsg) => answer(res, 200, { errcode, errmsg: `${errmsg}, rid: sandbox` });
	if (!wx.appid || !wx.secret) return err(-1, 'system error: the sandbox has no [wechat] appid and secret');
	if (appid !== wx.appid) return err(40013, 'invalid appid');
	if (secret !== wx.secret) return err(40125, 'invalid appsecret');
	if (q.get('grant_type') !== 'authorization_code') return err(40002, 'invalid grant_type');
	if (!/^[A-Za-z0-9_-]{1,128}$/.test(code) || code.startsWith('bad')) return err(40029, 'invalid code');
	if (usedCodes.has(code)) return err(40163, 'code been used');
	usedCodes.add(code);
	const prefix = code.split('-')[0];
	const openid = 'o' + crypto.createHash('sha256').update(`${appid}:${prefix}`).digest('base64url').slice(0, 27);
	issued.set(openid, appid);
	return answer(res, 200, { openid, session_key: crypto.randomBytes(16).toString('base64') });
}

async function handle(req, res) {
	const u = new URL(req.url, 'http://sandbox');
	let body;
	try { body = await readBody(req, 65536); } catch { return fail(res, 413, 'PARAM_ERROR', 'body too large'); }
	let m;
	if (u.pathname === '/healthz') return answer(res, 200, { status: 'ok', orders: orders.size });
	if (req.method === 'GET' && u.pathname === '/sns/jscode2session') return jscode2session(res, u.searchParams);
	if ((m = /^\/sandbox\/pay\/([^/]+)$/.exec(u.pathname))) {
		const o = orders.get(m[1]);
		if (!o) return fail(res, 404, 'ORDER_NOT_EXIST', 'no such order');
		if (req.method === 'GET') { res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }); return res.end(payPage(m[1])); }
		let opt = {};
		try { opt = body ? JSON.parse(body) : {}; } catch { return fail(res, 400, 'PARAM_ERROR', 'not JSON'); }
		await pay(o, opt);
		return answer(res, 200, { state: o.state, transaction_id: o.transaction_id, deliveries: o.deliveries });
	}
	if ((m = /^\/sandbox\/orders\/([^/]+)$/.exec(u.pathname))) {
		const o = orders.get(m[1]);
		return o ? answer(res, 200, o) : fail(res, 404, 'ORDER_NOT_EXIST', 'no such order');
	}
	if ((m = /^\/sandbox\/notify\/([^/]+)$/.exec(u.pathname)) && req.method === 'POST') {
		const o = orders.get(m[1]);
		if (!o || !o.transaction_id) return fail(res, 404, 'ORDER_NOT_EXIST', 'no paid order');
		await deliver(o, RETRY_S.length);
		return answer(res, 200, { deliveries: o.deliveries });
	}
	if ((m = /^\/sandbox\/refund-plan\/([^/]+)$/.exec(u.pathname)) && req.method === 'POST') {
		let plan;
		try { plan = body ? JSON.parse(body) : {}; } catch { return fail(res, 400, 'PARAM_ERROR', 'not JSON'); }
		refundPlans.set(m[1], plan);
		return answer(res, 200, plan);
	}
	if ((m = /^\/sandbox\/refunds\/([^/]+)$/.exec(u.pathname))) {
		const r = refunds.get(m[1]);
		return r ? answer(res, 200, r) : fail(res, 404, 'RESOURCE_NOT_EXISTS', 'no such refund');
	}
	if ((m = /^\/sandbox\/refund-notify\/([^/]+)$/.exec(u.pathname)) && req.method === 'POST') {
		const r = refunds.get(m[1]);
		if (!r || r.status === 'PROCESSING') return fail(res, 404, 'RESOURCE_NOT_EXISTS', 'no finished refund');
		await deliverRefund(r, RETRY_S.length);
		return answer(res, 200, { deliveries: r.deliveries });
	}
	if (req.method === 'POST' && u.pathname === '/alipay/gateway.do') return aliGateway(req, res, body);
	// WeChat Pay itself: every call must carry our valid signature
	const why = checkAuth(req, body);
	if (why) { log(`refused ${req.method} ${req.url}: ${why}`); return fail(res, 401, 'SIGN_ERROR', why); }
	if (req.method === 'POST' && u.pathname === '/v3/pay/transactions/native') return createOrder(req, res, body, 'NATIVE');
	if (req.method === 'POST' && u.pathname === '/v3/pay/transactions/jsapi') return createOrder(req, res, body, 'JSAPI');
	if ((m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/.exec(u.pathname)) && req.method === 'GET') {
		const o = orders.get(m[1]);
		if (!o || u.searchParams.get('mchid') !== o.mchid) return fail(res, 404, 'ORDER_NOT_EXIST', 'order does not exist');
		return answer(res, 200, transaction(o));
	}
	if ((m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/.exec(u.pathname)) && req.method === 'POST') {
		const o = orders.get(m[1]);
		if (!o) return fail(res, 404, 'ORDER_NOT_EXIST', 'order does not exist');
		if (o.state === 'SUCCESS') return fail(res, 400, 'ORDERPAID', 'order is paid');
		o.state = 'CLOSED';
		return answer(res, 204);
	}
	if (req.method === 'POST' && u.pathname === '/v3/refund/domestic/refunds') return createRefund(req, res, body);
	if ((m = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(u.pathname)) && req.method === 'GET') {
		const r = refunds.get(m[1]);
		return r ? answer(res, 200, refundObject(r)) : fail(res, 404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
	}
	if (req.method === 'GET' && u.pathname === '/v3/bill/tradebill') {
		const date = u.searchParams.get('bill_date') || '';
		if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return fail(res, 400, 'PARAM_ERROR', 'bill_date');
		if (u.searchParams.get('tar_type')) return fail(res, 400, 'PARAM_ERROR', 'the sandbox serves plain bills only');
		const bill = tradeBill(date);
		bills.set(date, bill);
		return answer(res, 200, { hash_type: 'SHA1', hash_value: crypto.createHash('sha1').update(bill).digest('hex'),
			download_url: `${sb.public_url || `http://${host}:${port}`}/v3/billdownload/file?token=${date}` });
	}
	if (req.method === 'GET' && u.pathname === '/v3/billdownload/file') {
		const bill = bills.get(u.searchParams.get('token'));
		if (!bill) return fail(res, 400, 'INVALID_REQUEST', 'ask /v3/bill/tradebill first');
		res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8' });	// the real download is unsigned too
		return res.end(bill);
	}
	fail(res, 404, 'NOT_FOUND', `${req.method} ${u.pathname} is not in the sandbox`);
}

http.createServer((req, res) => handle(req, res).catch((e) => { log(e.stack); fail(res, 500, 'SYSTEM_ERROR', 'sandbox bug'); }))
	.listen(Number(port), host, () => log(`WeChat Pay sandbox on http://${host}:${port} (time scale ${timeScale}, notifications signed by ${serial})`));
process.on('SIGTERM', () => process.exit(0));
