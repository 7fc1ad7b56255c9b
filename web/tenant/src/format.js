// Pure formatting: money is integer fen, never floating point arithmetic.
// fen are whole numbers below 2^53, so integer division is exact
export function yuan(fen) {
  const n = Math.trunc(Number(fen));
  const a = Math.abs(n);
  return (n < 0 ? '-' : '') + `${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

// "12.5" / "12.50" / "12" → fen, or null when it is not an amount.
export function parseYuan(text) {
  const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(String(text));
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || '0').padEnd(2, '0'));
}

export function kwh(milli) {
  const v = Number(milli) / 1000;
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

// A UTC ISO instant for a local date at the site's offset (minutes east).
export function localDayToUtc(dateStr, offsetMin) {
  const [y, m, d] = dateStr.split('-').map(Number);
  const ms = Date.UTC(y, m - 1, d) - offsetMin * 60000;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// The local date (YYYY-MM-DD) of an instant at an offset.
export function localDate(ms, offsetMin) {
  return new Date(ms + offsetMin * 60000).toISOString().slice(0, 10);
}
