// Builds the browser bundles into web/static/dist/ (run by scripts/setup.sh after `npm ci`):
//   modeller.js + modeller.css  — bpmn-js Modeler, Camunda 7 properties panel, bpmnlint overlay
//   viewer.js + viewer.css      — NavigatedViewer for instance pages
//   dmn-editor.js + dmn-editor.css — dmn-js Modeler for decision tables (its own bundle: only that page loads it)
// The .bpmnlintrc is compiled to a module (what bpmnlint's bundler plugins do) and bundled as
// `virtual:bpmnlint-config`; fonts are copied next to the CSS (the CSP allows no data: fonts).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const bpmnlintConfig = {
  name: 'bpmnlint-config',
  setup(build) {
    build.onResolve({ filter: /^virtual:bpmnlint-config$/ }, () => ({ path: 'bpmnlintrc', namespace: 'bpmnlint' }));
    build.onLoad({ filter: /.*/, namespace: 'bpmnlint' }, async () => {
      const compileConfig = require('bpmnlint/lib/support/compile-config');
      const config = JSON.parse(readFileSync(join(ROOT, '.bpmnlintrc'), 'utf8'));
      return { contents: await compileConfig(config), loader: 'js', resolveDir: ROOT };
    });
  }
};

const options = {
  bundle: true,
  minify: !process.argv.includes('--dev'),
  sourcemap: true,
  format: 'iife',
  target: ['es2020'],
  outdir: join(ROOT, 'web/static/dist'),
  absWorkingDir: ROOT,
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  assetNames: 'assets/[name]-[hash]',
  logLevel: 'warning',
  legalComments: 'linked',
  plugins: [bpmnlintConfig]
};

await esbuild.build({
  ...options,
  entryPoints: {
    modeller: 'frontend/modeller.js',
    viewer: 'frontend/viewer.js',
    'dmn-editor': 'frontend/dmn-editor.js'
  }
});
console.log('built web/static/dist/{modeller,viewer,dmn-editor}.{js,css}');
