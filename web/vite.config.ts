/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The build writes into dist/ without emptying it: dist/.gitignore is
// committed so that `go:embed all:dist` (web/embed.go) compiles on a fresh
// clone with no npm build. scripts/clean-dist.mjs removes the previous
// build's files (and only those) before each build.
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `npm run dev` against a running dashboard: DASHBOARD_URL=https://127.0.0.1:8443
    proxy: process.env.DASHBOARD_URL
      ? { '/api': { target: process.env.DASHBOARD_URL, secure: false, changeOrigin: true } }
      : undefined,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}', 'e2e/**/*.test.ts'],
    restoreMocks: true,
    setupFiles: ['src/test-setup.ts'],
  },
});
