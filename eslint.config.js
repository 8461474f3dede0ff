// @ts-check
// ESLint flat config. `npm run lint` runs this and `prettier --check`; formatting is Prettier's
// job, so eslint-config-prettier comes last and turns off every rule that would fight it.
import js from '@eslint/js';
import eslintComments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'src/rpc/generated/', '.vitest-tmp/', 'data/', 'coverage/'], 'dtx/ignores'),

  {
    name: 'dtx/linter-options',
    // Built-in replacement for eslint-comments/no-unused-disable (deprecated in the plugin).
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },

  js.configs.recommended,
  eslintComments.recommended,
  {
    name: 'dtx/eslint-comments',
    rules: {
      // Every disable comment says why: `// eslint-disable-next-line rule -- reason`.
      '@eslint-community/eslint-comments/require-description': 'error',
    },
  },

  // TypeScript: type-aware, against the same program `npm run typecheck` checks (src, test, vitest.config.ts).
  {
    name: 'dtx/typescript',
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        project: './tsconfig.check.json',
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // A leading underscore marks a binding that is unused on purpose (a parameter an interface
      // requires, a property dropped from a rest spread, an array slot skipped).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Turned off: the code is written for `noUncheckedIndexedAccess` (it type-checks with that flag
      // on, no errors) and marks an index known to be in range with `!` (`xs[i]!`). The flag is off in
      // tsconfig.json, so this rule calls ~180 of those `!` unnecessary and its --fix would strip
      // them. Turn the flag on in tsconfig.json first, then this rule back on.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Turned off: gRPC handlers (`unary(async (req) => ...)`) and interface implementations are
      // `async` without an `await` on purpose, so that a throw becomes a rejected promise.
      '@typescript-eslint/require-await': 'off',
    },
  },

  // Tests: vitest's asymmetric matchers (`expect.any(Number)`, `expect.stringMatching(...)`) are
  // typed `any` so that they fit inside an expected value; these two rules flag every one nested
  // in an object literal or returned from a helper. Any other use of an `any` value (a member
  // access, a call, passing it on) is still reported by the other no-unsafe-* rules.
  {
    name: 'dtx/tests',
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },

  // The team rule: no function in src/ over ~70 lines without a comment saying why
  // (`// eslint-disable-next-line max-lines-per-function -- <why>`).
  {
    name: 'dtx/src',
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 70, skipBlankLines: true, skipComments: true }],
    },
  },

  // Plain JavaScript (scripts, the bin shim, test helpers run as child processes, this file): no type information.
  {
    name: 'dtx/javascript',
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
  },

  // The web console's page script (console/): a classic browser script, not a module.
  {
    name: 'dtx/console-page',
    files: ['console/**/*.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'script', globals: { ...globals.browser, uPlot: 'readonly' } },
  },

  prettier,
);
