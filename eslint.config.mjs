// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const adapters = ['**/storage/aws/**', '**/storage/embedded/**', '**/adapters/**', '**/storage/index'];

export default tseslint.config(
  { ignores: ['dist/**', 'data/**', '.cache/**', '.services/**', 'test-results/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration in src/config.ts only.' },
      ],
    },
  },
  {
    // See src/storage/embedded/db.ts: a bare bound LIMIT makes SQLite prepare the statement again on every run.
    files: ['src/storage/embedded/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'Literal[value=/LIMIT \\?/]', message: 'Bind a row limit as `LIMIT +?` (see db.ts).' },
        {
          selector: 'TemplateElement[value.raw=/LIMIT \\?/]',
          message: 'Bind a row limit as `LIMIT +?` (see db.ts).',
        },
      ],
    },
  },
  {
    files: ['src/http/**/*.ts', 'src/services/**/*.ts', 'src/domain/**/*.ts', 'src/app.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: adapters, message: 'Only container.ts and storage/index.ts import adapters.' }],
        },
      ],
    },
  },
  {
    files: ['src/services/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            'express',
            'multer',
            'ejs',
            'sharp',
            'bcrypt',
            'mysql2',
            'mysql2/promise',
            'better-sqlite3',
          ],
          patterns: [
            { group: ['@aws-sdk/*'], message: 'Services and domain know no SDK.' },
            { group: adapters, message: 'Only container.ts and storage/index.ts import adapters.' },
            { group: ['**/http/**'], message: 'Services know nothing of HTTP.' },
          ],
        },
      ],
    },
  },
  {
    // supertest and fetch bodies are `any` by nature; tests assert their shape instead.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: globals.node,
    },
  },
  {
    // Browser scripts: plain ES2022, no build step, loaded with <script defer>.
    files: ['public/js/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
  },
);
