// Unit tests of the pure helpers (no DOM, no JupyterLab): `npm test`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/__tests__/**/*.test.ts'],
    environment: 'node'
  }
});
