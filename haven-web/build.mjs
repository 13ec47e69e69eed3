// Build step of the web UI, run by exec-maven-plugin in generate-resources (no bundler, no Node at run time):
//  1. `npm ci` when node_modules does not match package-lock.json;
//  2. copy the vendor ES modules (and their licences) to <out>/vendor/<package>-<version>/;
//  3. copy src/main/www/app to <out>/app-<hash>/ (content-addressed, so it can be cached for good);
//  4. write <out>/index.html from src/main/www/index.html with the import map filled in.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).map(a => a.replace(/^--/, '').split(/=(.*)/s).slice(0, 2)));
const npm = args.npm || 'npm';
const out = path.resolve(args.out || 'target/classes/www');
const here = path.dirname(new URL(import.meta.url).pathname);

// 1. npm ci, skipped when the lock file is unchanged since the last successful install
const lock = fs.readFileSync(path.join(here, 'package-lock.json'));
const stamp = path.join(here, 'node_modules', '.haven-lock-sha256');
const lockHash = createHash('sha256').update(lock).digest('hex');
if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== lockHash) {
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: here, stdio: 'inherit' });
  if (r.status !== 0) { console.error('npm ci failed'); process.exit(1); }
  fs.writeFileSync(stamp, lockHash);
}

// 2. vendor modules: package -> files (or directories) to copy, and import-map entries
const vendor = [
  { pkg: 'preact', files: ['dist/preact.mjs', 'hooks/dist/hooks.mjs', 'LICENSE'],
    map: { 'preact': 'dist/preact.mjs', 'preact/hooks': 'hooks/dist/hooks.mjs' } },
  { pkg: 'htm', files: ['dist/htm.mjs', 'preact/index.mjs', 'LICENSE'],
    map: { 'htm': 'dist/htm.mjs', 'htm/preact': 'preact/index.mjs' } },
  { pkg: '@preact/signals-core', files: ['dist/signals-core.mjs', 'LICENSE'], map: { '@preact/signals-core': 'dist/signals-core.mjs' } },
  { pkg: '@preact/signals', files: ['dist/signals.mjs', 'LICENSE'], map: { '@preact/signals': 'dist/signals.mjs' } },
  { pkg: 'uplot', files: ['dist/uPlot.esm.js', 'dist/uPlot.min.css', 'LICENSE'], map: { 'uplot': 'dist/uPlot.esm.js' },
    css: { 'uplot': 'dist/uPlot.min.css' } },
  { pkg: '@xterm/xterm', files: ['lib/xterm.mjs', 'css/xterm.css', 'LICENSE'], map: { '@xterm/xterm': 'lib/xterm.mjs' },
    css: { 'xterm': 'css/xterm.css' } },
  { pkg: '@xterm/addon-fit', files: ['lib/addon-fit.mjs', 'LICENSE'], map: { '@xterm/addon-fit': 'lib/addon-fit.mjs' } },
  { pkg: '@novnc/novnc', files: ['core', 'vendor', 'LICENSE.txt'], map: { '@novnc/novnc': 'core/rfb.js' } },
];

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

const imports = {};
const styles = {};
for (const v of vendor) {
  const src = path.join(here, 'node_modules', v.pkg);
  const version = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8')).version;
  const dirName = `${v.pkg.replace('@', '').replace('/', '-')}-${version}`;
  for (const f of v.files) {
    const from = path.join(src, f);
    if (!fs.existsSync(from)) { if (/LICEN/.test(f)) continue; throw new Error(`missing ${v.pkg}/${f}`); }
    fs.cpSync(from, path.join(out, 'vendor', dirName, f), { recursive: true, filter: p => !p.endsWith('.map') });
  }
  for (const [k, f] of Object.entries(v.map)) imports[k] = `/vendor/${dirName}/${f}`;
  for (const [k, f] of Object.entries(v.css || {})) styles[k] = `/vendor/${dirName}/${f}`;
}

// 3. the application, under a content-addressed directory
const appSrc = path.join(here, 'src/main/www/app');
const h = createHash('sha256');
const walk = d => fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))
  .flatMap(e => e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
for (const f of walk(appSrc)) { h.update(path.relative(appSrc, f)); h.update('\0'); h.update(fs.readFileSync(f)); }
const appDir = `app-${h.digest('hex').slice(0, 12)}`;
fs.cpSync(appSrc, path.join(out, appDir), { recursive: true });
imports['app/'] = `/${appDir}/`;

// static files next to index.html (icons)
for (const e of fs.readdirSync(path.join(here, 'src/main/www'), { withFileTypes: true }))
  if (e.isFile() && e.name !== 'index.html') fs.copyFileSync(path.join(here, 'src/main/www', e.name), path.join(out, e.name));

// 4. index.html
const links = [...Object.values(styles), `/${appDir}/style.css`].map(s => `<link rel="stylesheet" href="${s}">`).join('\n  ');
const html = fs.readFileSync(path.join(here, 'src/main/www/index.html'), 'utf8')
  .replace('<!--IMPORTMAP-->', `<script type="importmap">${JSON.stringify({ imports }, null, 1)}</script>`)
  .replace('<!--STYLES-->', links)
  .replace(/\/app\/main\.js/g, `/${appDir}/main.js`);
fs.writeFileSync(path.join(out, 'index.html'), html);
console.log(`web UI: ${Object.keys(imports).length} import-map entries, application in ${appDir}`);
