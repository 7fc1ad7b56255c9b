// Builds web/tenant/ from web/tenant/src/: esbuild bundles app.js with code
// splitting (charts.js with uPlot and qr.js load only when a page needs
// them), minified, content-hashed names; the CSS is app.css + uPlot's.
// Run from anywhere: node web/build/build.mjs (npm ci first, at the repo root).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, rmSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'web/tenant/src');
const out = join(root, 'web/tenant');
const assets = join(out, 'assets');

rmSync(assets, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });
const r = await build({
  entryPoints: [join(src, 'app.js')],
  bundle: true, splitting: true, format: 'esm', minify: true, target: ['es2020'],
  outdir: assets, entryNames: '[name]-[hash]', chunkNames: '[name]-[hash]', metafile: true, legalComments: 'none',
  absWorkingDir: root, nodePaths: [join(root, 'node_modules')],
});
const css = readFileSync(join(src, 'app.css'), 'utf8') + readFileSync(join(root, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8');
const cssName = `app-${createHash('sha256').update(css).digest('hex').slice(0, 8).toUpperCase()}.css`;
writeFileSync(join(assets, cssName), css);
const entry = Object.entries(r.metafile.outputs).find(([, o]) => o.entryPoint && o.entryPoint.endsWith('app.js'))[0];
const jsName = entry.split('/').pop();
const csp = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-src 'self'; object-src 'none'; base-uri 'none'";
const html = readFileSync(join(src, 'index.html'), 'utf8')
  .replace('<meta charset="utf-8">', `<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="${csp}">`)
  .replace('./app.css', `./assets/${cssName}`).replace('./app.js', `./assets/${jsName}`);
writeFileSync(join(out, 'index.html'), html);
for (const f of readdirSync(assets)) console.log(`web/tenant/assets/${f}\t${readFileSync(join(assets, f)).length} bytes`);
