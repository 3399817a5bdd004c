// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'cdk.out/', 'coverage/', 'reports/', 'node_modules/', 'test-results/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
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
    // A generated client's callers: test/helpers/openapi.ts type-checks each against the types it generates from the
    // served document, which exist only in a temporary folder. Here they get the rules that need no types.
    files: ['test/**/*.caller.ts'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
