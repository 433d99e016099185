import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'coverage/', 'jest.config.js', 'eslint.config.js', 'bin/', 'src/spec/schema-validator.generated.ts']},
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {parserOptions: {projectService: true, tsconfigRootDir: import.meta.dirname}},
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', {considerDefaultExhaustiveForUnions: true}],
      '@typescript-eslint/no-floating-promises': 'error',
      'no-console': 'error',
    },
  },
  {
    // The pure core never reaches the terminal, a process or a host.
    files: ['src/spec/**', 'src/net/**'],
    rules: {
      'no-restricted-imports': ['error', {patterns: [
        {group: ['@oclif/*', 'execa', 'listr2'], message: 'the pure core must not depend on the CLI, processes or UI'},
        {group: ['**/commands/*', '**/ui/*'], message: 'imports flow one way: commands and ui depend on the core, never the reverse'},
      ]}],
    },
  },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {...tseslint.configs.disableTypeChecked.languageOptions, globals: {process: 'readonly', console: 'readonly', structuredClone: 'readonly', URL: 'readonly', setTimeout: 'readonly'}},
  },
  {
    files: ['**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {...tseslint.configs.disableTypeChecked.languageOptions, sourceType: 'commonjs', globals: {process: 'readonly', require: 'readonly'}},
    rules: {...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off'},
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: {'no-console': 'off'},
  },
);
