import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    globalSetup: ['test/support/global-setup.ts', 'test/support/build-wasm.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
