// The tenant page: one small module for the first view; charts and the QR
// encoder are separate chunks loaded when a page needs them.
import { api, setCsrf, ApiError } from './api.js';
import { t, getLang, setLang } from './i18n.js';
import { yuan, parseYuan, kwh, localDayToUtc, localDate } from './format.js';

const main = document.getElementById('main');
const state = { user: null, accounts: [], account: null, tz: 'Asia/Shanghai', poll: null };

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const h = (html) => { main.innerHTML = html; };

function toast(msg) {
  const el = document.getElementById('toast');
  el.textContent = msg;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
}

function translateStatic() {
  document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  document.getElementById('lang').textContent = getLang() === 'zh' ? 'EN' : '中文';
  document.title = t('title') + ' · prepay';
}

// minutes east of UTC of the site's zone at an instant
function tzOffset(ms) {
  const f = new Intl.DateTimeFormat('en-US', { timeZone: state.tz, hourCycle: 'h23', year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit' });
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute);
  return Math.round((asUtc - Math.floor(ms / 60000) * 60000) / 60000);
}

function failed(e) {
  if (e instanceof ApiError && e.status === 401) { showSignin(); return; }
  h(`<div class="card error" role="alert">${esc(t('error'))}: ${esc(e.message)}</div>`);
}

// --- sign-in ----------------------------------------------------------------
// by password, or (验证码登录) by a code sent to the phone by SMS
function showSignin(msg, bySms) {
  document.getElementById('nav').hidden = true;
  document.getElementById('signout').hidden = true;
  const secret = bySms
    ? `<label for="code">${esc(t('sms_code'))}</label>
    <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
    <button type="button" class="secondary" id="send-code">${esc(t('send_code'))}</button>`
    : `<label for="password">${esc(t('password'))}</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>`;
  h(`<form class="card" id="signin-form" novalidate>
    <h2>${esc(t('signin'))}</h2>
    <label for="phone">${esc(t('phone'))}</label>
    <input id="phone" name="phone" type="tel" autocomplete="username" inputmode="tel" required>
    ${secret}
    <p id="signin-error" class="error" role="alert">${msg ? esc(msg) : ''}</p>
    <button class="primary" type="submit">${esc(t('signin'))}</button>
    <a href="#" class="link" id="signin-mode">${esc(t(bySms ? 'use_password' : 'use_sms'))}</a>
  </form>`);
  const form = document.getElementById('signin-form'), error = document.getElementById('signin-error');
  document.getElementById('signin-mode').addEventListener('click', (ev) => { ev.preventDefault(); showSignin('', !bySms); });
  if (bySms) {
    const send = document.getElementById('send-code');
    send.addEventListener('click', async () => {
      try {
        const r = await api('POST', '/api/v1/session/sms-code', { phone: form.phone.value.trim() });
        error.textContent = t('code_sent');
        send.disabled = true;
        setTimeout(() => { send.disabled = false; }, (r.resend_after_s || 60) * 1000);
        form.code.focus();
      } catch (e) {
        error.textContent = `${t('signin_failed')}: ${e.message}`;
      }
    });
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const s = bySms
        ? await api('POST', '/api/v1/session/sms', { phone: form.phone.value.trim(), code: form.code.value.trim() })
        : await api('POST', '/api/v1/session', { phone: form.phone.value.trim(), password: form.password.value });
      signedIn(s);
    } catch (e) {
      error.textContent = `${t('signin_failed')}: ${e.message}`;
    }
  });
  document.getElementById('phone').focus();
}

function signedIn(s) {
  state.user = s.user;
  state.accounts = s.accounts || [];
  setCsrf(s.csrf_token);
  const saved = Number(sessionStorage.getItem('prepay.account'));
  state.account = state.accounts.find((a) => a.id === saved) || state.accounts[0] || null;
  document.getElementById('nav').hidden = false;
  document.getElementById('signout').hidden = false;
  route();
}

// --- pages --------------------------------------------------------------------
function accountPicker() {
  if (state.accounts.length < 2) return '';
  return `<label for="acct">${esc(t('account'))}</label><select id="acct">${state.accounts.map((a) =>
    `<option value="${a.id}"${a.id === state.account.id ? ' selected' : ''}>${esc(a.code)} ${esc(a.tenant)}</option>`).join('')}</select>`;
}
function bindPicker() {
  const el = document.getElementById('acct');
  if (!el) return;
  el.addEventListener('change', () => {
    state.account = state.accounts.find((a) => a.id === Number(el.value));
    sessionStorage.setItem('prepay.account', String(state.account.id));
    route();
  });
}

async function pageHome() {
  const a = await api('GET', `/api/v1/accounts/${state.account.id}`);
  state.tz = a.timezone || state.tz;
  const on = a.supply === 'on';
  const meters = a.meters.map((m) => `<tr><td>${esc(m.code)}</td><td class="num">${m.last_reading_milli == null ? '–' : kwh(m.last_reading_milli)}</td>
    <td>${m.last_read_at ? esc(new Date(m.last_read_at).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB')) : '–'}${m.offline ? ` <span class="warn">${esc(t('offline'))}</span>` : ''}</td></tr>`).join('');
  h(`${accountPicker()}<section class="card" aria-labelledby="bal-label">
      <div id="bal-label" class="muted">${esc(t('balance'))} · ${esc(a.code)} ${esc(a.tenant)}</div>
      <div class="big" id="balance" data-fen="${a.balance_fen}">${a.balance_fen < 0 ? '-' : ''}¥${yuan(Math.abs(a.balance_fen))}</div>
      <p id="supply" data-supply="${esc(a.supply)}" class="${on ? 'state-on' : 'state-off'}">${esc(t(on ? 'supply_on' : 'supply_off'))}</p>
      ${a.need_fen > 0 ? `<p class="warn" id="need">${esc(t('need', { x: yuan(a.need_fen) }))}</p>` : ''}
      <p id="days">${a.days_left == null ? esc(t('days_unknown')) : esc(t('days_left', { x: a.days_left }))}</p>
      <div class="row"><a class="btn" href="#topup">${esc(t('topup'))}</a>
      ${a.emergency_credit.available ? `<button class="secondary" id="ec">${esc(t('ec_take', { x: yuan(a.emergency_credit.amount_fen) }))}</button>` : ''}</div>
    </section>
    <section class="card grid">
      <div><div class="muted">${esc(t('level'))}</div><div>${esc(a.alert_level)}</div></div>
      <div><div class="muted">${esc(t('keep_power'))}</div><div>${esc(t(a.keep_power ? 'yes' : 'no'))}</div></div>
      <div><div class="muted">${esc(t('ec'))}</div><div>${a.emergency_credit.taken ? esc(t('ec_taken')) + ' ¥' + yuan(a.emergency_credit.outstanding_fen) : esc(t('no'))}</div></div>
    </section>
    <section class="card"><h2>${esc(t('meters'))}</h2><table><thead><tr><th>${esc(t('meters'))}</th><th class="num">kWh</th><th>${esc(t('last_reading'))}</th></tr></thead><tbody>${meters}</tbody></table></section>`);
  bindPicker();
  const ec = document.getElementById('ec');
  if (ec) ec.addEventListener('click', async () => {
    try { await api('POST', `/api/v1/accounts/${state.account.id}/emergency-credit`); route(); } catch (e) { toast(e.message); }
  });
}

async function pageTopup() {
  const presets = [5000, 10000, 20000, 50000];
  h(`<section class="card"><h2>${esc(t('topup'))}</h2>
    <div class="row" role="group" aria-label="${esc(t('amount'))}">${presets.map((f) =>
      `<button type="button" class="secondary preset" aria-pressed="false" data-fen="${f}">¥${f / 100}</button>`).join('')}</div>
    <label for="custom">${esc(t('custom'))}</label><input id="custom" inputmode="decimal" autocomplete="off">
    <p id="amount-error" class="error" role="alert"></p>
    <button type="button" class="primary" id="pay">${esc(t('pay'))}</button></section>
    <section class="card" id="order" hidden aria-live="polite"></section>`);
  let fen = presets[1];
  const buttons = [...document.querySelectorAll('.preset')];
  const pick = (f) => { fen = f; buttons.forEach((b) => b.setAttribute('aria-pressed', String(Number(b.dataset.fen) === f))); };
  pick(fen);
  buttons.forEach((b) => b.addEventListener('click', () => { document.getElementById('custom').value = ''; pick(Number(b.dataset.fen)); }));
  document.getElementById('custom').addEventListener('input', (ev) => { pick(-1); fen = parseYuan(ev.target.value); });
  document.getElementById('pay').addEventListener('click', async () => {
    const err = document.getElementById('amount-error');
    if (!fen || fen <= 0) { err.textContent = t('bad_amount'); return; }
    err.textContent = '';
    let o;
    try {
      o = await api('POST', `/api/v1/accounts/${state.account.id}/topups`, { amount_fen: fen, channel: 'wechat_native' });
    } catch (e) { err.textContent = e.message; return; }
    const box = document.getElementById('order');
    box.hidden = false;
    box.innerHTML = `<p>${esc(t('scan'))}</p><canvas id="qr" class="qr" width="200" height="200" role="img" aria-label="QR ${esc(o.code_url || '')}"></canvas>
      <p>${esc(t('order'))}: <span id="order-no">${esc(o.out_trade_no)}</span> · ¥${yuan(o.amount_fen)}</p>
      ${o.pay_url ? `<p><a href="${esc(o.pay_url)}" target="_blank" rel="noopener">${esc(t('pay_page'))}</a></p>` : ''}
      <p id="order-status">${esc(t('waiting'))}</p>`;
    if (o.code_url) import('./qr.js').then((m) => m.drawQr(document.getElementById('qr'), o.code_url));
    watchOrder(o.out_trade_no);
  });
}

function watchOrder(no) {
  clearTimeout(state.poll);
  const tick = async () => {
    if (location.hash !== '#topup') return;
    try {
      const o = await api('GET', `/api/v1/accounts/${state.account.id}/topups/${no}`);
      const el = document.getElementById('order-status');
      if (!el) return;
      if (o.status === 'credited') {
        const a = await api('GET', `/api/v1/accounts/${state.account.id}`);
        document.getElementById('order').innerHTML = `<h2 id="receipt">${esc(t('receipt'))}</h2>
          <p class="state-on">${esc(t('credited'))} ¥${yuan(o.amount_fen)}</p>
          <p>${esc(t('order'))}: ${esc(o.out_trade_no)}<br>${esc(t('time'))}: ${esc(o.credited_at || '')}</p>
          <p>${esc(t('new_balance'))}: <strong id="receipt-balance">¥${yuan(a.balance_fen)}</strong></p><a class="btn" href="#home">${esc(t('nav_home'))}</a>`;
        return;
      }
      el.textContent = `${t('waiting')} (${o.status})`;
      if (o.status === 'closed' || o.status === 'failed') return;
    } catch (e) { /* try again */ }
    state.poll = setTimeout(tick, 1500);
  };
  state.poll = setTimeout(tick, 1000);
}

async function pageUsage() {
  const now = Date.now();
  const today = localDate(now, tzOffset(now));
  const monthAgo = localDate(now - 30 * 86400000, tzOffset(now));
  h(`${accountPicker()}<section class="card"><h2>${esc(t('usage'))}</h2>
    <form id="usage-form" class="row">
      <div><label for="step">${esc(t('show'))}</label><select id="step">
        <option value="hour">${esc(t('step_hour'))}</option><option value="day" selected>${esc(t('step_day'))}</option>
        <option value="month">${esc(t('step_month'))}</option></select></div>
      <div><label for="from">${esc(t('from'))}</label><input id="from" type="date" value="${monthAgo}"></div>
      <div><label for="to">${esc(t('to'))}</label><input id="to" type="date" value="${today}"></div>
      <div><label>&nbsp;</label><button class="primary" type="submit">${esc(t('show'))}</button></div>
    </form>
    <div id="chart" class="chart" role="img" aria-label="${esc(t('usage'))}"></div>
    <div id="usage-summary"></div></section>`);
  bindPicker();
  const load = async () => {
    const f = document.getElementById('from').value, to = document.getElementById('to').value;
    const step = document.getElementById('step').value;
    const toNext = localDate(Date.parse(to + 'T00:00:00Z') + 86400000, 0);
    const q = `from=${localDayToUtc(f, tzOffset(Date.parse(f)))}&to=${localDayToUtc(toNext, tzOffset(Date.parse(toNext)))}&step=${step}`;
    try {
      const [u, charts] = await Promise.all([api('GET', `/api/v1/accounts/${state.account.id}/usage?${q}`), import('./charts.js')]);
      charts.drawUsage(document.getElementById('chart'), u, t);
      const bands = ['sharp', 'peak', 'flat', 'valley', 'unsplit'].filter((b) => u.current.bands[b].energy_milli > 0);
      document.getElementById('usage-summary').innerHTML = `<table id="usage-table"><thead><tr><th></th><th class="num">${esc(t('energy'))}</th><th class="num">${esc(t('cost'))}</th></tr></thead><tbody>
        <tr><th>${esc(t('current'))}</th><td class="num" id="usage-total" data-milli="${u.current.energy_milli}">${kwh(u.current.energy_milli)}</td><td class="num">${yuan(u.current.cost_fen)}</td></tr>
        <tr><th>${esc(t('previous'))}</th><td class="num">${kwh(u.previous.energy_milli)}</td><td class="num">${yuan(u.previous.cost_fen)}</td></tr>
        ${bands.map((b) => `<tr><td>${esc(t(b))}</td><td class="num">${kwh(u.current.bands[b].energy_milli)}</td><td class="num">${yuan(u.current.bands[b].list_cost_fen)}</td></tr>`).join('')}
        ${u.current.meters.map((m) => `<tr><td>${esc(m.code)}</td><td class="num">${kwh(m.energy_milli.reduce((x, y) => x + y, 0))}</td><td></td></tr>`).join('')}
        </tbody></table>`;
    } catch (e) { failed(e); }
  };
  document.getElementById('usage-form').addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  await load();
}

async function pageStatements() {
  const s = await api('GET', `/api/v1/accounts/${state.account.id}/statements`);
  const base = `/api/v1/accounts/${state.account.id}/statements`;
  const ym = (p) => `${String(p).slice(0, 4)}-${String(p).slice(4)}`;
  h(`${accountPicker()}<section class="card"><h2>${esc(t('statements'))}</h2>
    <table id="statements"><thead><tr><th>${esc(t('period'))}</th><th class="num">${esc(t('opening'))}</th><th class="num">${esc(t('credits'))}</th>
    <th class="num">${esc(t('posted'))}</th><th class="num">${esc(t('closing'))}</th><th></th></tr></thead><tbody>
    ${s.statements.map((x) => `<tr data-period="${x.period}" data-closing="${x.closing_fen}"><td>${ym(x.period)}</td><td class="num">${yuan(x.opening_fen)}</td>
      <td class="num">${yuan(x.credits_fen)}</td><td class="num">${yuan(x.posted_fen)}</td><td class="num">${yuan(x.closing_fen)}</td>
      <td><button class="link open-stmt" data-period="${x.period}">${esc(t('open'))}</button>
      <a href="${base}/${x.period}?format=html" target="_blank" rel="noopener">${esc(t('print'))}</a>
      <a href="${base}/${x.period}?format=csv" download>${esc(t('csv'))}</a></td></tr>`).join('')}
    </tbody></table></section><section class="card" id="stmt-view" hidden></section>`);
  bindPicker();
  document.querySelectorAll('.open-stmt').forEach((b) => b.addEventListener('click', () => {
    const v = document.getElementById('stmt-view');
    v.hidden = false;
    v.innerHTML = `<iframe id="stmt-frame" title="${esc(ym(b.dataset.period))}" src="${base}/${b.dataset.period}?format=html" style="width:100%;height:70vh;border:0"></iframe>`;
  }));
}

async function pageLedger(page = 1, kind = '') {
  const q = `page=${page}&per_page=20${kind ? '&kind=' + kind : ''}`;
  const l = await api('GET', `/api/v1/accounts/${state.account.id}/ledger?${q}`);
  const kinds = ['', 'topup', 'consumption', 'fee', 'adjustment', 'refund', 'emergency_credit', 'emergency_repay'];
  const pages = Math.max(1, Math.ceil(l.total / l.per_page));
  h(`${accountPicker()}<section class="card"><h2>${esc(t('ledger'))}</h2>
    <div class="row"><div><label for="kind">${esc(t('kind'))}</label><select id="kind">${kinds.map((k) =>
      `<option value="${k}"${k === kind ? ' selected' : ''}>${esc(k || t('all'))}</option>`).join('')}</select></div>
    <div><label>&nbsp;</label><a id="ledger-csv" class="btn" href="/api/v1/accounts/${state.account.id}/ledger?format=csv${kind ? '&kind=' + kind : ''}" download>${esc(t('csv'))}</a></div></div>
    <table id="ledger"><thead><tr><th>${esc(t('time'))}</th><th>${esc(t('kind'))}</th><th class="num">${esc(t('change'))}</th><th class="num">${esc(t('after'))}</th><th>${esc(t('reason'))}</th></tr></thead><tbody>
    ${l.entries.map((e) => `<tr><td>${esc(new Date(e.at).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB'))}</td><td>${esc(e.kind)}</td>
      <td class="num">${yuan(e.amount_fen)}</td><td class="num" data-fen="${e.balance_after_fen}">${yuan(e.balance_after_fen)}</td><td>${esc(e.reason || e.reference)}</td></tr>`).join('')}
    </tbody></table>
    <div class="row"><button class="secondary" id="prev" ${page <= 1 ? 'disabled' : ''}>${esc(t('prev_page'))}</button>
    <span>${page} / ${pages}</span><button class="secondary" id="next" ${page >= pages ? 'disabled' : ''}>${esc(t('next_page'))}</button></div></section>`);
  bindPicker();
  document.getElementById('kind').addEventListener('change', (ev) => pageLedger(1, ev.target.value).catch(failed));
  document.getElementById('prev').addEventListener('click', () => pageLedger(page - 1, kind).catch(failed));
  document.getElementById('next').addEventListener('click', () => pageLedger(page + 1, kind).catch(failed));
}

async function pageInsights() {
  const i = await api('GET', `/api/v1/accounts/${state.account.id}/insights?days=30&shift_pct=20`);
  h(`${accountPicker()}<section class="card" id="insights"><h2>${esc(t('insights'))}</h2>
    <div class="grid">
      <div><div class="muted">${esc(t('peak_share'))}</div><div class="big">${(i.peak_share_bp / 100).toFixed(1)}%</div></div>
      <div><div class="muted">${esc(t('night_base'))}</div><div class="big">${i.night_base_w} W</div></div>
      <div><div class="muted">${esc(t('weekday'))}</div><div>${i.weekday_avg_w} W</div></div>
      <div><div class="muted">${esc(t('weekend'))}</div><div>${i.weekend_avg_w} W</div></div>
    </div>
    ${i.shift_saving_fen != null ? `<p>${esc(t('shift_hint', { p: i.shift_pct, x: yuan(i.shift_saving_fen), d: i.days }))}</p>` : ''}
    <h3>${esc(t('standout'))}</h3><ul>${i.standout_days.length ? i.standout_days.map((d) => `<li>${esc(d.date)}: ${kwh(d.energy_milli)} kWh</li>`).join('') : `<li>${esc(t('none'))}</li>`}</ul></section>`);
  bindPicker();
}

async function pageSettings() {
  const c = await api('GET', '/api/v1/contacts');
  const hm = (m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  h(`<section class="card"><h2>${esc(t('contacts'))}</h2>
    <table id="contacts"><tbody>${c.contacts.map((x) => `<tr><td>${esc(t(x.channel))}</td><td>${esc(x.address)}</td><td>${esc(x.kinds === '*' ? t('kinds_all') : x.kinds)}</td>
      <td><button class="link del" data-id="${x.id}">${esc(t('remove'))}</button></td></tr>`).join('')}</tbody></table>
    <form id="contact-form" class="row">
      <div><label for="ch">${esc(t('channel'))}</label><select id="ch">${c.channels.map((x) => `<option value="${x}">${esc(t(x))}</option>`).join('')}</select></div>
      <div><label for="addr">${esc(t('address'))}</label><input id="addr" required></div>
      <div><label>&nbsp;</label><button class="primary" type="submit">${esc(t('add'))}</button></div>
    </form><p class="muted">${esc(t('quiet'))}: ${hm(c.quiet_start_min)}–${hm(c.quiet_end_min)}</p></section>`);
  document.getElementById('contact-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/api/v1/contacts', { channel: document.getElementById('ch').value, address: document.getElementById('addr').value.trim(), lang: getLang() });
      toast(t('saved'));
      pageSettings().catch(failed);
    } catch (e) { toast(e.message); }
  });
  document.querySelectorAll('.del').forEach((b) => b.addEventListener('click', async () => {
    try { await api('DELETE', `/api/v1/contacts/${b.dataset.id}`); pageSettings().catch(failed); } catch (e) { toast(e.message); }
  }));
}

const pages = { home: pageHome, topup: pageTopup, usage: pageUsage, statements: pageStatements, ledger: () => pageLedger(), insights: pageInsights, settings: pageSettings };

function route() {
  if (!state.user) return;
  const name = (location.hash || '#home').slice(1);
  const fn = pages[name] || pageHome;
  document.querySelectorAll('#nav a').forEach((a) => {
    if (a.getAttribute('href') === '#' + name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  if (!state.account) { h(`<p class="card">${esc(t('none'))}</p>`); return; }
  h(`<p class="muted">${esc(t('loading'))}</p>`);
  fn().then(() => main.focus({ preventScroll: true })).catch(failed);
}

document.getElementById('lang').addEventListener('click', () => { setLang(getLang() === 'zh' ? 'en' : 'zh'); translateStatic(); if (state.user) route(); else showSignin(); });
document.getElementById('signout').addEventListener('click', async () => {
  try { await api('DELETE', '/api/v1/session'); } catch (e) { /* signed out either way */ }
  state.user = null;
  setCsrf('');
  showSignin();
});
window.addEventListener('hashchange', route);
setLang(getLang());
translateStatic();
api('GET', '/api/v1/session').then(signedIn).catch((e) => (e instanceof ApiError && e.status === 401 ? showSignin() : failed(e)));
