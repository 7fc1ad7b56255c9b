// WeChat Pay, played by Node's own crypto for the payment tests: builds a
// notification for a transaction the way WeChat Pay does (AES-256-GCM with
// the APIv3 key, SHA256withRSA over ts\nnonce\nbody\n with the platform
// key from the test's config), optionally spoils it one way, sends it
// --count times with --concurrency at once, and prints "STATUS COUNT" lines.
//
//   node pay-notify.js --conf CONF --url URL --order NO --total FEN
//        [--txn ID] [--mchid M] [--appid A] [--currency C] [--state S]
//        [--mode ok|forged|unknown_serial|stale|future|tampered|wrong_aad|
//                truncated|oversized|huge|signtest|no_headers|not_json]
//        [--count N] [--concurrency C]
'use strict';
const crypto = require('crypto'), fs = require('fs'), http = require('http'), path = require('path');

const a = {};
for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

function readConfig(file) {
	const conf = {};
	let section = '';
	for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
		const line = raw.trim();
		if (!line || line[0] === '#' || line[0] === ';') continue;
		const m = /^\[([a-z_]+)\]$/.exec(line);
		if (m) { section = m[1]; continue; }
		const i = line.indexOf('=');
		let k = line.slice(0, i).trim(), v = line.slice(i + 1).trim();
		if (k.endsWith('_file')) { k = k.slice(0, -5); v = fs.readFileSync(path.resolve(path.dirname(file), v), 'utf8').replace(/\n$/, ''); }
		(conf[section] = conf[section] || {})[k] = v;
	}
	return conf;
}
const conf = readConfig(a.conf);
const wp = conf.wechatpay, key = crypto.createPrivateKey(conf.sandbox.platform_key);
const mode = a.mode || 'ok';

const txn = {
	appid: a.appid || wp.appid, mchid: a.mchid || wp.mchid, out_trade_no: a.order,
	transaction_id: a.txn || `4200${Date.now()}${crypto.randomInt(1e6)}`, trade_type: 'NATIVE',
	trade_state: a.state || 'SUCCESS', trade_state_desc: '支付成功', bank_type: 'OTHERS', attach: '',
	success_time: new Date().toISOString().replace(/\.\d+Z$/, '+00:00'), payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
	amount: { total: Number(a.total), payer_total: Number(a.total), currency: a.currency || 'CNY', payer_currency: 'CNY' },
};

function build() {
	const nonce = crypto.randomBytes(9).toString('base64').slice(0, 12);
	const c = crypto.createCipheriv('aes-256-gcm', Buffer.from(wp.apiv3_key), Buffer.from(nonce));
	c.setAAD(Buffer.from('transaction'));
	let ct = Buffer.concat([c.update(JSON.stringify(txn)), c.final(), c.getAuthTag()]);
	if (mode === 'tampered') ct[5] ^= 1;
	const resource = { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: ct.toString('base64'),
		associated_data: mode === 'wrong_aad' ? 'transactionX' : 'transaction', nonce };
	let body = JSON.stringify({ id: `EV-${crypto.randomUUID()}`, create_time: '2026-11-28T10:34:57+08:00',
		resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', summary: '支付成功', resource,
		...(mode === 'oversized' ? { padding: 'x'.repeat(20000) } : {}),
		...(mode === 'huge' ? { padding: 'x'.repeat(70000) } : {}) });
	if (mode === 'not_json') body = body.slice(0, -1);
	let ts = Math.floor(Date.now() / 1000);
	if (mode === 'stale') ts -= 301;
	if (mode === 'future') ts += 301;
	const n = crypto.randomBytes(16).toString('hex');
	const signer = mode === 'forged' ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : key;
	let sig = crypto.sign('sha256', Buffer.from(`${ts}\n${n}\n${body}\n`), signer).toString('base64');
	if (mode === 'signtest') sig = `WECHATPAY/SIGNTEST/${sig}`;
	if (mode === 'truncated') body = body.slice(0, -10);
	const headers = { 'Content-Type': 'application/json', 'Wechatpay-Serial': mode === 'unknown_serial' ? 'PUB_KEY_ID_0000UNKNOWN' : wp.public_key_id,
		'Wechatpay-Signature': sig, 'Wechatpay-Timestamp': String(ts), 'Wechatpay-Nonce': n,
		'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048', 'Request-ID': crypto.randomUUID() };
	if (mode === 'no_headers') delete headers['Wechatpay-Signature'];
	headers['Content-Length'] = Buffer.byteLength(body);
	return { headers, body };
}

const count = Number(a.count || 1), concurrency = Number(a.concurrency || 1);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const u = new URL(a.url);
const one = build();	// the same notification every time: a duplicate is byte-identical
const send = () => new Promise((resolve) => {
	const r = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: one.headers },
		(res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
	r.on('error', () => resolve(0));
	r.end(one.body);
});
(async () => {
	const counts = {};
	let next = 0;
	await Promise.all(Array.from({ length: concurrency }, async () => {
		while (next < count) { next++; const s = await send(); counts[s] = (counts[s] || 0) + 1; }
	}));
	for (const [s, c] of Object.entries(counts)) console.log(`${s} ${c}`);
	agent.destroy();
})();
