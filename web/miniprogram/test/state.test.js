const test = require('node:test');
const assert = require('node:assert');
const { createState, usageSeries } = require('../lib/state.js');

const store = () => { const m = new Map(); return { get: (k) => m.get(k), set: (k, v) => m.set(k, v), remove: (k) => m.delete(k) }; };

test('the remembered account is chosen again, else the first', () => {
  const s = store();
  const st = createState(s);
  assert.strictEqual(st.setSession({ accounts: [{ id: 1 }, { id: 2 }] }).id, 1);
  st.choose(2);
  const again = createState(s);
  assert.strictEqual(again.setSession({ accounts: [{ id: 1 }, { id: 2 }] }).id, 2);
  assert.throws(() => again.choose(3), /no such account/);
  again.clear();
  assert.strictEqual(again.current(), null);
});

test('usage points fill the box and the bands in use are listed', () => {
  const bucket = (e, b) => ({ start: 's', energy_milli: e, bands_milli: b });
  const bands = { sharp: { energy_milli: 0 }, peak: { energy_milli: 3000 }, flat: { energy_milli: 0 }, valley: { energy_milli: 1000 }, unsplit: { energy_milli: 0 } };
  const u = { current: { buckets: [bucket(1000), bucket(3000)], bands }, previous: { buckets: [bucket(2000), bucket(0)] } };
  const s = usageSeries(u, 100, 50);
  assert.strictEqual(s.max, 3000);
  assert.deepStrictEqual(s.current, [[0, 50 - 50 / 3], [100, 0]]);
  assert.deepStrictEqual(s.previous[1], [100, 50]);
  assert.deepStrictEqual(s.bands.map((b) => b.band), ['peak', 'valley']);
});
