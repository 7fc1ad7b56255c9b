// App state without wx: which accounts the user has and which one is shown.
function createState(store) {
  let accounts = [];
  let current = null;
  return {
    setSession(s) {
      accounts = s.accounts || [];
      const saved = Number(store.get('account'));
      current = accounts.find((a) => a.id === saved) || accounts[0] || null;
      return current;
    },
    accounts: () => accounts.slice(),
    current: () => current,
    choose(id) {
      const a = accounts.find((x) => x.id === Number(id));
      if (!a) throw new Error('no such account: ' + id);
      current = a;
      store.set('account', String(a.id));
      return a;
    },
    clear() { accounts = []; current = null; store.remove('account'); },
  };
}

// Usage JSON → what the usage page draws: points per series scaled to a box.
function usageSeries(u, width, height) {
  const b = u.current.buckets;
  const values = b.map((x) => x.energy_milli);
  const prev = u.previous.buckets.map((x) => x.energy_milli).slice(0, b.length);
  const max = Math.max(1, ...values, ...prev);
  const x = (i) => (b.length < 2 ? width / 2 : (i * width) / (b.length - 1));
  const y = (v) => height - (v * height) / max;
  return {
    max,
    current: values.map((v, i) => [x(i), y(v)]),
    previous: prev.map((v, i) => [x(i), y(v)]),
    labels: b.map((x2) => x2.start),
    bands: ['sharp', 'peak', 'flat', 'valley', 'unsplit'].map((k) => ({ band: k, milli: u.current.bands[k].energy_milli })).filter((z) => z.milli > 0),
  };
}

module.exports = { createState, usageSeries };
