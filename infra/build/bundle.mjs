// Bundles each deployed service into one CommonJS file for plain `node`, which the images run:
//   node infra/build/bundle.mjs [service...]      (gateway, ingest, resize and notifier by default)
// writes services/<service>/dist/main.js from services/<service>/src/main.ts. Why: without tsx's loader (its
// transforms, source maps and one module per source file) each service idles 25-40 MB lower and peaks lower at start
// (idle RSS, tsx -> bundle: gateway ~234 -> ~196 MB, ingest ~204 -> ~171, resize ~186 -> ~162, notifier ~187 -> ~154;
// the gateway's start peak ~255 -> ~190-210 MB). Development, tests and `pnpm start` keep running the TypeScript source.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVICES = ['gateway', 'ingest', 'resize', 'analyze', 'notifier'];

// Left to `require` at run time, from the service's own node_modules: native addons, whose .node binary and its
// loader (sharp's @img/sharp-<platform>, bcrypt's node-gyp-build) look for files next to their own package.
// Each must therefore be a production dependency of every service whose bundle requires it (checked below).
// The analysis engines likewise: tesseract.js starts its worker script and WASM core from files beside its own, and
// the face detector's worker thread loads face-api, TensorFlow.js' WASM backend and the model files by path.
const EXTERNAL = ['sharp', 'bcrypt', 'tesseract.js'];

/** The packages of EXTERNAL that the bundle's output requires (imports the bundler dropped as unused do not count). */
function externalsRequired(metafile) {
  const required = new Set();
  for (const output of Object.values(metafile.outputs))
    for (const imp of output.imports)
      for (const name of EXTERNAL)
        if (imp.external && (imp.path === name || imp.path.startsWith(`${name}/`))) required.add(name);
  return [...required].sort();
}

async function bundle(service) {
  const dir = path.join(ROOT, 'services', service);
  const entry = path.join(dir, 'src/main.ts');
  if (!existsSync(entry)) throw new Error(`no services/${service}/src/main.ts`);
  const outfile = path.join(dir, 'dist/main.js');
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    // Function and class names survive minification, so stack frames in the logs still say where an error came from
    // (by name; line and column point into the one-line bundle).
    keepNames: true,
    external: EXTERNAL,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    absWorkingDir: ROOT,
  });
  const declared = Object.keys(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies ?? {});
  const missing = externalsRequired(result.metafile).filter((name) => !declared.includes(name));
  if (missing.length > 0)
    throw new Error(
      `services/${service}/dist/main.js requires ${missing.join(', ')} at run time, but services/${service}/package.json ` +
        'does not depend on it: the deployed image (pnpm deploy --prod) would not have it next to dist/',
    );
  const bytes = result.metafile.outputs[path.relative(ROOT, outfile)].bytes;
  console.log(`services/${service}/dist/main.js  ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
}

const requested = process.argv.slice(2);
for (const s of requested)
  if (!SERVICES.includes(s)) {
    console.error(`unknown service "${s}"; one of: ${SERVICES.join(', ')}`);
    process.exit(2);
  }
for (const service of requested.length > 0 ? requested : SERVICES) await bundle(service);
