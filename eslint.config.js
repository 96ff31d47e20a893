// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', '**/coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // A package reaches another only through its published entry points (its `exports` map).
              regex: '^@toolwright/[^/]+/(src|dist)(/|$)',
              message: "Import another package's public entry point (e.g. '@toolwright/core'), never its src/ or dist/.",
            },
            {
              // Relative imports must stay inside their own package (.ci/check-workspace.mjs resolves them exactly).
              regex: '^(\\.\\./)+(packages|apps)/',
              message: 'Relative imports must stay inside the package; depend on the other package by name.',
            },
          ],
        },
      ],
    },
  },
);
