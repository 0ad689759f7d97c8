// Builds the dashboard into dist/: index.html (the shell every page path answers with) and hashed files in
// dist/assets, which the gateway serves under /assets. `pnpm --filter @pixmill/dashboard dev` serves it with reload,
// sending /api, /files, /upload and /export to the pixmill of `pnpm start` on port 8080.
import { defineConfig } from 'vite';

const target = 'http://127.0.0.1:8080';

export default defineConfig({
  // public/assets/ (the icon) lands beside the built files, so the gateway serves one folder.
  publicDir: 'public',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    target: 'es2022',
    // No inline module-preload polyfill: the page's CSP allows no inline script, and every browser we support has it.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: Object.fromEntries(['/api', '/files', '/upload', '/export'].map((p) => [p, target])),
  },
});
