import type { BuildOptions } from 'esbuild';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { PROJECT_ROOT } from '../project.js';

/** The Lambda runtime of every function; bundles target its Node.js, and the cold-start bench imports them with it. */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/**
 * Packages replaced in every bundle by what the bundled code uses of them (paths from the project
 * root, where both the CDK and the bench run esbuild): `semver` only for the X-Ray SDK's AWS SDK v2
 * version check (see `lambdas/shared/semver-gte.ts`).
 */
const ALIASES = { semver: './lambdas/shared/semver-gte.ts' } as const;

/**
 * How every function's code is bundled, in esbuild's terms: an ESM bundle for Node.js 24, minified,
 * with a source map (no sources inside), every dependency bundled, packages' ESM builds preferred
 * (`module` before `main`, so that esbuild can tree-shake them), and `require` defined for the CJS
 * dependencies that still call it (the X-Ray SDK), and {@link ALIASES} in place of the packages they name. The CDK stack ({@link cdkBundling}) and the
 * cold-start bench ({@link esbuildBundling}) both derive their options from this one object.
 */
export const FUNCTION_BUNDLING = {
  format: 'esm',
  target: 'node24',
  platform: 'node',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  external: [],
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  alias: ALIASES,
} as const satisfies Pick<
  BuildOptions,
  'format' | 'target' | 'platform' | 'minify' | 'sourcemap' | 'sourcesContent' | 'mainFields'
> & {
  readonly external: readonly string[];
  readonly banner: string;
  readonly alias: Readonly<Record<string, string>>;
};

/** `NODE_OPTIONS` of every function: stack traces in the logs point into the sources, through the bundle's source map. */
export const FUNCTION_NODE_OPTIONS = '--enable-source-maps';

/** The bundle's file name, as `NodejsFunction` names an ESM bundle. */
export const BUNDLE_FILE = 'index.mjs';

/** {@link FUNCTION_BUNDLING} as `NodejsFunction`'s bundling options (the CDK runs the esbuild CLI with them). */
export function cdkBundling(): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: FUNCTION_BUNDLING.target,
    platform: FUNCTION_BUNDLING.platform,
    minify: FUNCTION_BUNDLING.minify,
    sourceMap: FUNCTION_BUNDLING.sourcemap,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    externalModules: [...FUNCTION_BUNDLING.external],
    banner: FUNCTION_BUNDLING.banner,
    esbuildArgs: Object.fromEntries(
      Object.entries(FUNCTION_BUNDLING.alias).map(([name, target]) => [`--alias:${name}`, target]),
    ),
  };
}

/**
 * {@link FUNCTION_BUNDLING} as esbuild API options that bundle `entry` into `outDir`/index.mjs, as
 * the CDK does, and return the metafile (what went into the bundle, and how many bytes each input
 * left in it).
 */
export function esbuildBundling(entry: string, outDir: string): BuildOptions & { metafile: true } {
  return {
    entryPoints: [entry],
    bundle: true,
    outfile: `${outDir}/${BUNDLE_FILE}`,
    absWorkingDir: PROJECT_ROOT,
    format: FUNCTION_BUNDLING.format,
    target: FUNCTION_BUNDLING.target,
    platform: FUNCTION_BUNDLING.platform,
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourcemap,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    external: [...FUNCTION_BUNDLING.external],
    banner: { js: FUNCTION_BUNDLING.banner },
    alias: { ...FUNCTION_BUNDLING.alias },
    metafile: true,
    logLevel: 'warning',
  };
}
