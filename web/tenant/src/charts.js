// Usage charts, loaded only on the usage page (uPlot, bundled at build time).
import uPlot from 'uplot';

const colors = { total: '#0a5c36', previous: '#7a7f87', sharp: '#a40e26', peak: '#c25e00', flat: '#1d6fd8', valley: '#6b3fa0', unsplit: '#444' };
let plot = null;

export function drawUsage(el, u, t) {
  const b = u.current.buckets;
  // x: bucket index → local label; uPlot wants numbers
  const xs = b.map((_, i) => i);
  const series = [{}];
  const data = [xs];
  const add = (label, values, color, dash) => {
    series.push({ label, stroke: color, width: 2, dash, points: { show: b.length < 60 } });
    data.push(values);
  };
  add(t('current'), b.map((x) => x.energy_milli / 1000), colors.total);
  add(t('previous'), u.previous.buckets.map((x) => x.energy_milli / 1000).slice(0, b.length), colors.previous, [6, 4]);
  for (const band of ['sharp', 'peak', 'flat', 'valley', 'unsplit'])
    if (u.current.bands[band].energy_milli > 0) add(t(band), b.map((x) => x.bands_milli[band] / 1000), colors[band]);
  if (plot) plot.destroy();
  el.innerHTML = '';
  const width = Math.max(280, el.clientWidth || 600);
  plot = new uPlot({
    width, height: 260,
    scales: { x: { time: false } },
    axes: [{ values: (_, ticks) => ticks.map((i) => (b[i] ? b[i].start.slice(u.step === 'hour' ? 11 : 5, u.step === 'hour' ? 16 : 10) : '')) },
      { label: 'kWh' }],
    series,
  }, data, el);
  el.dataset.points = String(b.length);
  el.dataset.total = String(u.current.energy_milli);
  return plot;
}
