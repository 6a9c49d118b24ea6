// Bundles the web map into dist/: index.html plus content-hashed files under dist/assets/
// (every file there is named after a hash of its content, so the server may cache them forever).
// MapLibre GL JS 6 runs its worker from a separate module file: it is copied, hashed, and its
// name is compiled into the app bundle. Files whose content did not change are not rewritten,
// so an unchanged bundle does not make cargo rebuild the binary that embeds it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const files = new Map(); // path under dist/ → content

const worker = readFileSync(join(root, 'node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs'));
const workerFile = `maplibre-gl-worker-${createHash('sha256').update(worker).digest('hex').slice(0, 10)}.js`;
files.set(`assets/${workerFile}`, worker);

const result = await esbuild.build({
  entryPoints: [join(root, 'src/app.js')],
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  write: false,
  legalComments: 'eof',
  define: { MAPLIBRE_WORKER_FILE: JSON.stringify(workerFile) },
  logLevel: 'warning',
});
for (const file of result.outputFiles) files.set(relative(dist, file.path), file.contents);

const named = (ext) => [...files.keys()].find((path) => path.startsWith('assets/app-') && path.endsWith(ext));
files.set('index.html', readFileSync(join(root, 'src/index.html'), 'utf8')
  .replace('/assets/app.css', `/${named('.css')}`)
  .replace('/assets/app.js', `/${named('.js')}`));

// write what changed, remove what is no longer part of the bundle
for (const [path, content] of files) {
  const target = join(dist, path);
  const bytes = Buffer.from(content);
  if (existsSync(target) && readFileSync(target).equals(bytes)) continue;
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, bytes);
}
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  const path = relative(dist, join(entry.parentPath ?? entry.path, entry.name));
  if (entry.isFile() && !files.has(path)) rmSync(join(dist, path));
}
console.log(`web/dist: ${[...files.keys()].join(', ')}`);
