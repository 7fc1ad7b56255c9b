// The load generator of tests/bench/notify.sh: builds every request first
// (WeChat Pay notifications: AES-256-GCM + SHA256withRSA, one per order in
// --orders, a file of "out_trade_no total" lines), then sends them with
// --concurrency at once and prints one JSON line: rate, p50, p99, statuses.
//   node notify-load.js --conf CONF --url URL --orders FILE --concurrency 64
//   node notify-load.js --url URL --ping N --concurrency 64   (POST /api/v1/ping)
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

const reqs = [];
const u = new URL(a.url);
if (a.ping) {
	for (let i = 0; i < Number(a.ping); i++)
		reqs.push({ path: '/api/v1/ping', headers: { 'Content-Type': 'application/json', 'Content-Length': 2 }, body: '{}' });
} else {
	const conf = readConfig(a.conf), wp = conf.wechatpay, key = crypto.createPrivateKey(conf.sandbox.platform_key);
	const ts = String(Math.floor(Date.now() / 1000));
	for (const line of fs.readFileSync(a.orders, 'utf8').split('\n')) {
		if (!line) continue;
		const [no, total] = line.split(' ');
		const txn = { appid: wp.appid, mchid: wp.mchid, out_trade_no: no, transaction_id: `4200BENCH${no}`,
			trade_type: 'NATIVE', trade_state: 'SUCCESS', trade_state_desc: '支付成功', bank_type: 'OTHERS', attach: '',
			success_time: '2026-11-28T10:34:56+08:00', payer: { openid: 'oBench' },
			amount: { total: Number(total), payer_total: Number(total), currency: 'CNY', payer_currency: 'CNY' } };
		const nonce = crypto.randomBytes(9).toString('base64').slice(0, 12);
		const c = crypto.createCipheriv('aes-256-gcm', Buffer.from(wp.apiv3_key), Buffer.from(nonce));
		c.setAAD(Buffer.from('transaction'));
		const ct = Buffer.concat([c.update(JSON.stringify(txn)), c.final(), c.getAuthTag()]).toString('base64');
		const body = JSON.stringify({ id: `EV-${crypto.randomUUID()}`, create_time: '2026-11-28T10:34:57+08:00',
			resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', summary: '支付成功',
			resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: ct, associated_data: 'transaction', nonce } });
		const n = crypto.randomBytes(16).toString('hex');
		const sig = crypto.sign('sha256', Buffer.from(`${ts}\n${n}\n${body}\n`), key).toString('base64');
		reqs.push({ path: u.pathname, body, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body),
			'Wechatpay-Serial': wp.public_key_id, 'Wechatpay-Signature': sig, 'Wechatpay-Timestamp': ts, 'Wechatpay-Nonce': n } });
	}
}

const concurrency = Number(a.concurrency || 64);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const lat = [], statuses = {};
let next = 0;
const one = (r) => new Promise((resolve) => {
	const t0 = process.hrtime.bigint();
	const q = http.request({ host: u.hostname, port: u.port, path: r.path, method: 'POST', agent, headers: r.headers }, (res) => {
		res.resume();
		res.on('end', () => { lat.push(Number(process.hrtime.bigint() - t0) / 1e6); statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1; resolve(); });
	});
	q.on('error', () => { statuses[0] = (statuses[0] || 0) + 1; resolve(); });
	q.end(r.body);
});
(async () => {
	const t0 = process.hrtime.bigint();
	await Promise.all(Array.from({ length: concurrency }, async () => { while (next < reqs.length) await one(reqs[next++]); }));
	const s = Number(process.hrtime.bigint() - t0) / 1e9;
	lat.sort((x, y) => x - y);
	const pct = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(1);
	console.log(JSON.stringify({ requests: reqs.length, seconds: Number(s.toFixed(2)), per_s: Math.round(reqs.length / s),
		p50_ms: Number(pct(0.5)), p99_ms: Number(pct(0.99)), statuses }));
	agent.destroy();
})();
