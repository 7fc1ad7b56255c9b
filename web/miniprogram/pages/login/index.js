// Sign-in: first wx.login (a bound WeChat user is signed in at once); an
// unbound one binds a phone checked by SMS code; password and SMS code
// sign-in stay available.
const app = getApp();
const wxCode = () => new Promise((resolve, reject) => {
  wx.login({ success: (r) => (r.code ? resolve(r.code) : reject(new Error(r.errMsg))), fail: (e) => reject(new Error(e.errMsg)) });
});
Page({
  data: { mode: 'password', needBind: false, phone: '', password: '', smsCode: '', wait: 0, error: '' },
  async onLoad() {
    try {
      const r = await app.api.signInWechat(await wxCode());
      if (r.session) return this.done(r.session);
      this.setData({ needBind: true, mode: 'sms', error: '请绑定手机号：输入手机号和短信验证码' });
    } catch (e) {
      this.setData({ error: '微信登录失败：' + e.message });
    }
  },
  onPhone(e) { this.setData({ phone: e.detail.value }); },
  onPassword(e) { this.setData({ password: e.detail.value }); },
  onSmsCode(e) { this.setData({ smsCode: e.detail.value }); },
  useSms() { this.setData({ mode: 'sms', error: '' }); },
  usePassword() { this.setData({ mode: 'password', error: '' }); },
  done(s) {
    app.state.setSession(s);
    wx.switchTab({ url: '/pages/home/index' });
  },
  async sendCode() {
    try {
      const r = await app.api.sendSmsCode(this.data.phone);
      this.setData({ error: '验证码已发送', wait: r.resend_after_s });
      const t = setInterval(() => {
        this.setData({ wait: this.data.wait - 1 });
        if (this.data.wait <= 0) clearInterval(t);
      }, 1000);
    } catch (e) {
      this.setData({ error: '发送失败：' + e.message });
    }
  },
  async submit() {
    try {
      if (this.data.needBind)
        return this.done(await app.api.bindWechat(await wxCode(), this.data.phone, this.data.smsCode));
      if (this.data.mode === 'sms')
        return this.done(await app.api.signInSms(this.data.phone, this.data.smsCode));
      this.done(await app.api.signIn(this.data.phone, this.data.password));
    } catch (e) {
      this.setData({ error: '登录失败：' + e.message });
    }
  },
});
