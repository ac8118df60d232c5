import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The viewer is served by `kdmarl serve` at `/`. In `vite dev`, the read-only /runs and /replays
// routes go to a running server (KDMARL_SERVER, default :8080); open the page with
// `?server=ws://127.0.0.1:8080/` for its WebSocket.
const target = process.env['KDMARL_SERVER'] ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 800,
    rolldownOptions: {
      input: { index: root + 'index.html', charts: root + 'charts.html' },
    },
  },
  server: {
    proxy: {
      '/runs': target,
      '/replays': target,
    },
  },
});
