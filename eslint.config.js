// Type-aware linting: the rules that matter most here are the promise rules,
// because a forgotten `await` in a consumer loop loses work silently.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The modules the contracts are written in: a provider and the kit may use them. */
const VOCABULARY = '(errors|event|position|json|logger|names|sequence|subjects|quote)\\.js$';
const NO_OUTER_LAYERS = {
  regex: '/(providers|server|cli)/|/(millrace|index|testing)\\.js$',
  message: 'core (contracts, kit, engine) depends on no provider, server or CLI',
};
/** The kit stands on the contracts alone: `up` is the way from a kit file to src/core/. */
const kitRule = (up) => [
  'error',
  {
    patterns: [
      NO_OUTER_LAYERS,
      {
        regex: `^${up}(?!contracts/|kit/|${VOCABULARY})`,
        message:
          'the provider kit uses the contracts and their vocabulary only, never the engine that runs on it',
      },
    ],
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'scratch/',
      '.millrace/',
      'src/providers/postgres/sql/generated.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // The provider seam: a provider is written against the contracts, the vocabulary they are
  // written in and the provider kit; never against another provider or the engine behind them.
  {
    files: ['src/providers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!\\.\\./)',
              message:
                'a provider imports no other provider: what providers share lives in src/core/kit',
            },
            {
              regex: `/core/(?!contracts/|kit/|${VOCABULARY})`,
              message:
                'a provider uses the contracts (src/core/contracts), their vocabulary and the provider kit (src/core/kit) only',
            },
            {
              regex: '/(server|cli)/|/(millrace|index|testing)\\.js$',
              message: 'a provider knows nothing of the library facade, the server or the CLI',
            },
          ],
        },
      ],
    },
  },
  // The kit and the engine are the providers' foundation: they import no provider.
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [NO_OUTER_LAYERS],
        },
      ],
    },
  },
  { files: ['src/core/kit/*.ts'], rules: { 'no-restricted-imports': kitRule('\\.\\./') } },
  {
    files: ['src/core/kit/*/*.ts'],
    rules: { 'no-restricted-imports': kitRule('\\.\\./\\.\\./') },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
);
