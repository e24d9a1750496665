import js from '@eslint/js';
import eslintConfigPrettier from 'eslint-config-prettier/flat';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'provider/dist/', 'cdk.out/', '.data/', '.cache/', 'coverage/', 'ui/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Code bundled into the functions uses zod/mini. Classic zod cannot be tree-shaken (importing it
    // at all brings in the whole library), and every classic schema gets dozens of methods attached
    // when it is built: both cost each function's cold start. zod/mini is the same zod, tree-shaken
    // to what is used and cheap to build. Type-only imports of `zod` cost nothing and stay allowed.
    files: ['lambdas/**/*.ts', 'registry/**/*.ts', 'lib/service/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value=/^zod(\\/(v3|v4|v4\\/classic|classic))?$/][importKind!='type']:matches([specifiers.length=0], :has(> :matches(ImportNamespaceSpecifier, ImportDefaultSpecifier, ImportSpecifier[importKind!='type'])))",
          message:
            "Use `import * as z from 'zod/mini'` in code bundled into the functions: classic zod is not tree-shakable and its schemas are costly to build, which slows every cold start.",
        },
        {
          selector: 'ImportExpression[source.value=/^zod(\\/(v3|v4|v4\\/classic|classic))?$/]',
          message:
            "Use `import * as z from 'zod/mini'` in code bundled into the functions: classic zod is not tree-shakable and its schemas are costly to build, which slows every cold start.",
        },
        {
          selector:
            "ImportDeclaration[source.value='zod/mini'][importKind!='type'] > :matches(ImportDefaultSpecifier, ImportSpecifier[importKind!='type'])",
          message:
            "Use `import * as z from 'zod/mini'`: esbuild tree-shakes the namespace import, while the `z` export carries all of zod and every locale (about 420 KB).",
        },
      ],
    },
  },
  {
    // The admin UI runs in the browser. Its tsconfig has Node's types only because the API's schema
    // modules it takes types from are Node modules; Node itself is off limits here.
    files: ['ui/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require', '__dirname', '__filename'],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*'], message: 'The admin UI runs in the browser.' }] },
      ],
    },
  },
  // Prettier formats; eslint's own formatting rules are off.
  eslintConfigPrettier,
);
