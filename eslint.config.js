import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', '.tmp/', 'node_modules/', 'coverage/', 'charts/', 'src/api/v1alpha1/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Architecture boundaries (see README "Layout"): operator and runtime are different processes,
      // control plane and data plane never import each other.
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['src/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/operator/**'],
              message: 'the runtime never imports the operator; share through src/shared/contract.ts',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/operator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/runtime/control-plane/**', '**/runtime/data-plane/**'],
              message: 'the operator never imports the runtime (only runtime/pki and shared/)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/runtime/control-plane/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/data-plane/**'], message: 'control plane and data plane never import each other' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/runtime/data-plane/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/control-plane/**'],
              message: 'control plane and data plane never import each other',
            },
          ],
        },
      ],
    },
  },
);
