// The order's code_url as a QR code on a canvas (PC: scan with the phone).
import qrcode from 'qrcode-generator';

export function drawQr(canvas, text) {
  const q = qrcode(0, 'M');
  q.addData(text);
  q.make();
  const n = q.getModuleCount(), quiet = 4, size = n + 2 * quiet;
  const ctx = canvas.getContext('2d');
  const scale = Math.floor(canvas.width / size) || 1;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#000';
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++)
      if (q.isDark(r, c)) ctx.fillRect((c + quiet) * scale, (r + quiet) * scale, scale, scale);
  canvas.dataset.modules = String(n);
}
