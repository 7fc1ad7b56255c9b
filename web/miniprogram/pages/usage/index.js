const app = getApp();
const { kwh, localDayToUtc, localDate } = require('../../lib/format.js');
const { usageSeries } = require('../../lib/state.js');
const SITE_OFFSET_MIN = 480;	// Asia/Shanghai; the summary's timezone names it
Page({
  data: { step: 'day', total: '', previous: '', bands: [] },
  onShow() { this.load(); },
  setStep(e) { this.setData({ step: e.currentTarget.dataset.step }); this.load(); },
  async load() {
    if (!(await app.ensureSession())) return;
    const now = Date.now();
    const days = this.data.step === 'hour' ? 1 : this.data.step === 'day' ? 30 : 365;
    const to = localDate(now + 86400000, SITE_OFFSET_MIN), from = localDate(now - (days - 1) * 86400000, SITE_OFFSET_MIN);
    try {
      const u = await app.api.usage(app.state.current().id, localDayToUtc(from, SITE_OFFSET_MIN), localDayToUtc(to, SITE_OFFSET_MIN), this.data.step);
      this.setData({ total: kwh(u.current.energy_milli), previous: kwh(u.previous.energy_milli) });
      this.draw(u);
    } catch (e) { wx.showToast({ title: e.message, icon: 'none' }); }
  },
  draw(u) {
    wx.createSelectorQuery().select('#chart').fields({ node: true, size: true }).exec((res) => {
      if (!res[0]) return;
      const canvas = res[0].node, ctx = canvas.getContext('2d');
      const dpr = wx.getSystemInfoSync().pixelRatio;
      canvas.width = res[0].width * dpr;
      canvas.height = res[0].height * dpr;
      ctx.scale(dpr, dpr);
      const s = usageSeries(u, res[0].width, res[0].height);
      const line = (pts, color) => { ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.beginPath(); pts.forEach((p, i) => (i ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1]))); ctx.stroke(); };
      line(s.previous, '#7a7f87');
      line(s.current, '#0a5c36');
      this.setData({ bands: s.bands.map((b) => ({ band: b.band, kwh: kwh(b.milli) })) });
    });
  },
});
