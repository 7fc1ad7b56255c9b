const test = require('node:test');
const assert = require('node:assert');
const f = require('../lib/format.js');

test('yuan formats fen exactly, negatives too', () => {
  assert.strictEqual(f.yuan(0), '0.00');
  assert.strictEqual(f.yuan(5), '0.05');
  assert.strictEqual(f.yuan(123456), '1234.56');
  assert.strictEqual(f.yuan(-9894), '-98.94');
  assert.strictEqual(f.yuan(9007199254740991), '90071992547409.91');
});

test('parseYuan takes up to two decimals and nothing else', () => {
  assert.strictEqual(f.parseYuan('100'), 10000);
  assert.strictEqual(f.parseYuan('12.5'), 1250);
  assert.strictEqual(f.parseYuan(' 0.07 '), 7);
  assert.strictEqual(f.parseYuan('1.234'), null);
  assert.strictEqual(f.parseYuan('-5'), null);
  assert.strictEqual(f.parseYuan('1e3'), null);
  assert.strictEqual(f.parseYuan(''), null);
});

test('local midnight in Shanghai is 16:00 UTC the day before', () => {
  assert.strictEqual(f.localDayToUtc('2026-11-26', 480), '2026-11-25T16:00:00Z');
  assert.strictEqual(f.localDate(Date.parse('2026-11-25T16:30:00Z'), 480), '2026-11-26');
});

test('homeView says what to pay and how long it lasts', () => {
  const v = f.homeView({ balance_fen: -9894, supply: 'off', need_fen: 9894, days_left: null,
    emergency_credit: { available: true, amount_fen: 5000 }, meters: [{ id: 1, code: 'm1', last_reading_milli: 123456, last_read_at: '2026-11-26T01:00:00Z', offline: false }] });
  assert.strictEqual(v.balance, '-¥98.94');
  assert.strictEqual(v.supplyOn, false);
  assert.strictEqual(v.need, '充值 ¥98.94 即可恢复供电');
  assert.strictEqual(v.days, '近期无用电');
  assert.strictEqual(v.ecAmount, '50.00');
  assert.strictEqual(v.meters[0].reading, '123');
  const w = f.homeView({ balance_fen: 1000, supply: 'on', need_fen: 0, days_left: 3, meters: [] });
  assert.strictEqual(w.need, '');
  assert.strictEqual(w.days, '预计可用 3 天');
});
