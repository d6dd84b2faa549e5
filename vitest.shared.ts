/**
 * Shared vitest settings for every package: resolve `@equissl/*` imports to
 * their TypeScript sources (the `@equissl/source` export condition), run in
 * Node, give tensor-heavy tests room on a 2-core machine, and list skipped
 * tests with their reasons after the summary.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { SkipsReporter } from './tools/vitest-skips.js';

export const sharedConfig = defineConfig({
  resolve: { conditions: ['@equissl/source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['@equissl/source', 'module', 'node', 'import', 'default'] } },
  test: {
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // the default summary, then every skipped test with its reason
    reporters: ['default', new SkipsReporter()],
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: [fileURLToPath(new URL('./tools/vitest-backend.ts', import.meta.url))],
  },
});
