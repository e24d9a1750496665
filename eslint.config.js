import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import eslintConfigPrettier from 'eslint-config-prettier/flat';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The layers of DESIGN §13, each a folder; the first entry that matches a file names its layer.
 * docs/architecture.md, "Layers", says what each may import and why.
 */
const LAYERS = [
  { type: 'bin', pattern: 'bin' },
  { type: 'lib-local', pattern: 'lib/local' },
  { type: 'lib-service', pattern: 'lib/service' },
  { type: 'lib-cli', pattern: ['lib/flags-cli', 'lib/smoke'] },
  { type: 'lib', pattern: 'lib' },
  { type: 'ui', pattern: 'ui' },
  { type: 'domain', pattern: 'lambdas/domain' },
  { type: 'use-cases', pattern: 'lambdas/use-cases' },
  { type: 'lambdas', pattern: 'lambdas' },
  { type: 'registry', pattern: 'registry' },
  { type: 'provider', pattern: 'provider' },
  { type: 'test', pattern: 'test' },
].map((layer) => ({ ...layer, partialMatch: false }));

const to = (...types) => ({ to: { element: { types: { anyOf: types } } } });
const LAMBDAS = ['lambdas', 'use-cases', 'domain'];

/** What each layer may import besides itself. Anything else is an error: an import goes down the list of §13, never up. */
const LAYER_POLICIES = [
  {
    from: { element: { type: 'bin' } },
    allow: to('lib', 'lib-service', 'lib-local', 'lib-cli', 'ui', ...LAMBDAS, 'registry'),
  },
  // What is deployed (the CDK app, its stacks and constructs, the declarations) never imports the local stack or the CLIs.
  { from: { element: { type: 'lib' } }, allow: to('lib-service', 'ui', ...LAMBDAS, 'registry') },
  { from: { element: { type: 'lib-service' } }, allow: to('lib', ...LAMBDAS, 'registry') },
  { from: { element: { type: 'lib-local' } }, allow: to('lib', 'lib-service', 'ui', ...LAMBDAS, 'registry') },
  {
    from: { element: { type: 'lib-cli' } },
    allow: to('lib', 'lib-service', 'lib-local', 'lib-cli', 'ui', ...LAMBDAS, 'registry'),
  },
  // The admin UI takes types from the domain, and values from two zod-free modules only: the API's
  // own reading of a token's role (so the UI admits exactly whom the API admits) and its limits.
  { from: { element: { type: 'ui' } }, allow: { ...to('domain'), dependency: { kind: 'type' } } },
  {
    from: { element: { type: 'ui' } },
    allow: { to: { element: { type: 'domain', fileInternalPath: ['caller.ts', 'limits.ts'] } } },
  },
  { from: { element: { type: 'lambdas' } }, allow: to('use-cases', 'domain', 'registry') },
  { from: { element: { type: 'use-cases' } }, allow: to('domain', 'registry') },
  { from: { element: { type: 'domain' } }, allow: to('registry') },
  { from: { element: { type: 'test' } }, allow: { to: { element: { types: '*' } } } },
];

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
  {
    // The layers (DESIGN §13), checked at every import.
    files: ['**/*.{ts,tsx,js,mjs}'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': LAYERS,
      // Resolves the `.js` specifiers of the TypeScript sources to their `.ts` files.
      'import/resolver': { typescript: true },
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', policies: LAYER_POLICIES }],
    },
  },
  // Prettier formats; eslint's own formatting rules are off.
  eslintConfigPrettier,
);
