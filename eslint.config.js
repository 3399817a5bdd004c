// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'cdk.out/', 'coverage/', 'reports/', 'node_modules/', 'test-results/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    // SAST that runs here and in the pipeline (CodeQL runs on GitHub over everything): eslint-plugin-security over the
    // code that runs in production or judges a gate. Each finding is fixed, or acknowledged on its line with the
    // reason (`eslint-disable-next-line security/<rule> -- why`). Tests, benchmarks and build tools read fixture paths
    // and build patterns from their own constants: there the rules found 290 findings and no flaw.
    files: ['src/**', 'infra/lib/pipeline/steps/**', 'scripts/audit.ts', 'scripts/scan.ts'],
    plugins: security.configs.recommended.plugins,
    rules: {
      // Errors, not the preset's warnings: a finding fails `npm run lint`.
      ...Object.fromEntries(Object.keys(security.configs.recommended.rules).map((rule) => [rule, 'error'])),
      // It flags every obj[key], blind to the types that bound the key here (a union, a Record of known keys): its
      // 10 findings in src/ were all typed lookups. CodeQL's prototype-pollution queries cover what it looks for.
      'security/detect-object-injection': 'off',
    },
  },
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Template literals with numbers read well and are safe here.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // Tests and CDK code use `void promise` deliberately where nothing awaits it.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Fastify plugins and handlers are async by convention, so that a throw becomes a rejection Fastify handles.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**', 'tools/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests read parsed JSON documents and templates, which are `any` by nature.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
    },
  },
  {
    // eslint-plugin-security ships no types: this file alone reads it.
    files: ['eslint.config.js'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    // A generated client's callers: test/helpers/openapi.ts type-checks each against the types it generates from the
    // served document, which exist only in a temporary folder. Here they get the rules that need no types.
    files: ['test/**/*.caller.ts'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
