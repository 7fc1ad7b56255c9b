// Pure formatting for the mini-program (CommonJS: WeChat's module system).
// Money is integer fen; fen are whole numbers below 2^53, so this is exact.
function yuan(fen) {
  const n = Math.trunc(Number(fen));
  const a = Math.abs(n);
  return (n < 0 ? '-' : '') + Math.floor(a / 100) + '.' + String(a % 100).padStart(2, '0');
}

// "12", "12.5", "12.50" → fen; null when it is not an amount
function parseYuan(text) {
  const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(String(text));
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || '0').padEnd(2, '0'));
}

function kwh(milli) {
  const v = Number(milli) / 1000;
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

// UTC instant (ISO, seconds, Z) of local midnight of dateStr at offsetMin east
function localDayToUtc(dateStr, offsetMin) {
  const p = dateStr.split('-').map(Number);
  return new Date(Date.UTC(p[0], p[1] - 1, p[2]) - offsetMin * 60000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function localDate(ms, offsetMin) {
  return new Date(ms + offsetMin * 60000).toISOString().slice(0, 10);
}

const supplyText = { on: '正常供电', off: '已停电' };

// What the home page shows for an account summary.
function homeView(a) {
  return {
    balance: (a.balance_fen < 0 ? '-' : '') + '¥' + yuan(Math.abs(a.balance_fen)),
    supplyOn: a.supply === 'on',
    supply: supplyText[a.supply] || a.supply,
    need: a.need_fen > 0 ? '充值 ¥' + yuan(a.need_fen) + ' 即可恢复供电' : '',
    days: a.days_left == null ? '近期无用电' : '预计可用 ' + a.days_left + ' 天',
    ecAvailable: !!(a.emergency_credit && a.emergency_credit.available),
    ecAmount: a.emergency_credit ? yuan(a.emergency_credit.amount_fen) : '0.00',
    meters: (a.meters || []).map((m) => ({ id: m.id, code: m.code, reading: m.last_reading_milli == null ? '–' : kwh(m.last_reading_milli), at: m.last_read_at || '–', offline: m.offline })),
  };
}

module.exports = { yuan, parseYuan, kwh, localDayToUtc, localDate, homeView };
