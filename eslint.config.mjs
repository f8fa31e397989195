import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'var/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // the console runs in the browser without a bundler: of the contracts it may use types only
    files: ['apps/console/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@cicenns/contracts',
              message: 'the console may import only types from the contracts (import type)',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
