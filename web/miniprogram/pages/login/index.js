const app = getApp();
Page({
  data: { phone: '', password: '', error: '' },
  onPhone(e) { this.setData({ phone: e.detail.value }); },
  onPassword(e) { this.setData({ password: e.detail.value }); },
  async submit() {
    try {
      const s = await app.api.signIn(this.data.phone, this.data.password);
      app.state.setSession(s);
      wx.switchTab({ url: '/pages/home/index' });
    } catch (e) {
      this.setData({ error: '登录失败：' + e.message });
    }
  },
});
