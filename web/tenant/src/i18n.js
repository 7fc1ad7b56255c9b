// Chinese by default, English on request (remembered).
const zh = {
  title: '电费自助', signout: '退出', loading: '加载中…', nav_home: '首页', nav_topup: '充值', nav_usage: '用电',
  nav_statements: '账单', nav_ledger: '明细', nav_insights: '节能', nav_settings: '提醒',
  signin: '登录', phone: '手机号', password: '密码', signin_failed: '登录失败',
  use_sms: '验证码登录', use_password: '密码登录', sms_code: '短信验证码', send_code: '获取验证码', code_sent: '验证码已发送（5分钟内有效）', balance: '余额（元）',
  supply: '供电', supply_on: '正常供电', supply_off: '已停电', need: '充值 ¥{x} 即可恢复供电', days_left: '预计可用 {x} 天',
  days_unknown: '近期无用电', level: '提醒级别', keep_power: '保电', yes: '是', no: '否', meters: '电表',
  last_reading: '最近读数', offline: '离线', ec: '应急额度', ec_take: '使用应急额度 ¥{x}', ec_taken: '已使用应急额度',
  topup: '充值', amount: '金额（元）', custom: '其他金额', pay: '去支付', scan: '请用微信扫码支付', order: '订单号',
  waiting: '等待支付…', credited: '充值成功', receipt: '充值凭证', new_balance: '当前余额', pay_page: '打开支付页面（演示）',
  bad_amount: '请输入正确的金额，如 100 或 12.50', usage: '用电量', step_hour: '按小时', step_day: '按天', step_month: '按月',
  from: '开始', to: '结束', show: '查看', energy: '电量（kWh）', cost: '电费（元）', previous: '上期', current: '本期',
  sharp: '尖', peak: '峰', flat: '平', valley: '谷', unsplit: '未分时', statements: '月度账单', period: '月份',
  opening: '期初', closing: '期末', credits: '充值', posted: '扣费', open: '查看', csv: '下载 CSV', print: '打印版',
  ledger: '账户明细', kind: '类型', all: '全部', time: '时间', change: '变动', after: '余额', reason: '说明',
  prev_page: '上一页', next_page: '下一页', insights: '节能建议', peak_share: '峰段用电占比',
  shift_hint: '若将 {p}% 的峰段用电移到谷段，每 {d} 天约可节省 ¥{x}', night_base: '夜间（0–5点）基础负荷',
  weekday: '工作日平均功率', weekend: '周末平均功率', standout: '用电异常偏高的日子', none: '无',
  contacts: '提醒联系人', channel: '方式', address: '号码', add: '添加', remove: '删除', quiet: '免打扰时段',
  sms: '短信', wechat: '微信', saved: '已保存', error: '出错了', kinds_all: '全部提醒', account: '账户',
};
const en = {
  title: 'Energy self-service', signout: 'Sign out', loading: 'Loading…', nav_home: 'Home', nav_topup: 'Top up',
  nav_usage: 'Usage', nav_statements: 'Statements', nav_ledger: 'Ledger', nav_insights: 'Insights', nav_settings: 'Alerts',
  signin: 'Sign in', phone: 'Phone', password: 'Password', signin_failed: 'Sign-in failed',
  use_sms: 'Sign in with SMS code', use_password: 'Sign in with password', sms_code: 'SMS code', send_code: 'Send code', code_sent: 'Code sent (valid 5 minutes)', balance: 'Balance (¥)',
  supply: 'Supply', supply_on: 'Supply on', supply_off: 'Supply cut', need: 'Pay ¥{x} to restore supply',
  days_left: 'About {x} days left', days_unknown: 'No recent usage', level: 'Alert level', keep_power: 'Keep power',
  yes: 'yes', no: 'no', meters: 'Meters', last_reading: 'Last reading', offline: 'offline', ec: 'Emergency credit',
  ec_take: 'Take ¥{x} emergency credit', ec_taken: 'Emergency credit taken', topup: 'Top up', amount: 'Amount (¥)',
  custom: 'Other amount', pay: 'Pay', scan: 'Scan with WeChat to pay', order: 'Order', waiting: 'Waiting for payment…',
  credited: 'Top-up credited', receipt: 'Receipt', new_balance: 'Balance now', pay_page: 'Open the pay page (demo)',
  bad_amount: 'Enter an amount like 100 or 12.50', usage: 'Usage', step_hour: 'Hourly', step_day: 'Daily',
  step_month: 'Monthly', from: 'From', to: 'To', show: 'Show', energy: 'Energy (kWh)', cost: 'Cost (¥)',
  previous: 'Previous', current: 'Current', sharp: 'Sharp', peak: 'Peak', flat: 'Flat', valley: 'Valley',
  unsplit: 'Unsplit', statements: 'Monthly statements', period: 'Month', opening: 'Opening', closing: 'Closing',
  credits: 'Top-ups', posted: 'Charges', open: 'Open', csv: 'Download CSV', print: 'Printable', ledger: 'Ledger',
  kind: 'Kind', all: 'All', time: 'Time', change: 'Change', after: 'Balance', reason: 'Note', prev_page: 'Previous',
  next_page: 'Next', insights: 'Saving hints', peak_share: 'Share of usage in peak bands',
  shift_hint: 'Moving {p}% of peak usage to valley saves about ¥{x} per {d} days',
  night_base: 'Night base load (00:00–05:00)', weekday: 'Weekday average power', weekend: 'Weekend average power',
  standout: 'Days well above your usual', none: 'none', contacts: 'Alert contacts', channel: 'Channel',
  address: 'Number', add: 'Add', remove: 'Remove', quiet: 'Quiet hours', sms: 'SMS', wechat: 'WeChat', saved: 'Saved',
  error: 'Something went wrong', kinds_all: 'all alerts', account: 'Account',
};
const dicts = { zh, en };
let lang = 'zh';
try { lang = localStorage.getItem('prepay.lang') === 'en' ? 'en' : 'zh'; } catch (e) { /* private mode */ }

export function getLang() { return lang; }
export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh';
  try { localStorage.setItem('prepay.lang', lang); } catch (e) { /* private mode */ }
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
}
export function t(key, vars) {
  let s = dicts[lang][key] ?? dicts.zh[key] ?? key;
  if (vars) for (const k of Object.keys(vars)) s = s.replace(`{${k}}`, vars[k]);
  return s;
}
