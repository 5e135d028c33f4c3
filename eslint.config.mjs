import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      '.temporal/**',
      '.artifacts/**',
      '.test-output/**',
      '.venv-bench/**',
      '.venv-mlflow/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Workflow code and what it imports run in Temporal's deterministic sandbox: no Node built-ins, no I/O.
    files: [
      'src/workflows/**/*.ts',
      'src/search/**/*.ts',
      'src/contracts/**/*.ts',
      'src/retraining/policy.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'os', 'crypto', 'net', 'child_process', 'worker_threads'],
              message: 'workflow-safe code: no Node built-ins',
            },
            {
              group: [
                '@aws-sdk/*',
                'pg',
                'piscina',
                'koffi',
                'pino',
                'fastify',
                'csv-parse',
                'csv-parse/*',
                'ml-xgboost',
              ],
              message: 'workflow-safe code: no I/O libraries',
            },
            {
              regex:
                '^(\\.\\./)+(activities|storage|engines|data|features|evaluation|monitoring|registry|mlflow|report)(/|$)|common/(logger|free-port|run-id)$',
              message:
                'workflow-safe code: only contracts, search, retraining policy and common/random below it',
            },
          ],
        },
      ],
    },
  },
);
