import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'vitest/config'

// Svelte 5 components resolve to their server build under Vitest unless the
// 'browser' condition is set; only set it for tests so `vite build` is unaffected.
export default defineConfig({
  plugins: [svelte()],
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  server: { port: 5173, strictPort: true },
  // Tauri serves the files from its own origin; relative asset paths keep that simple.
  base: './',
  build: { outDir: 'dist', target: 'es2022', chunkSizeWarningLimit: 300 },
  clearScreen: false,
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
  },
})
