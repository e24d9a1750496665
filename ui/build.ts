import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const UI_ROOT = path.dirname(fileURLToPath(import.meta.url));

/** The budget: the JS and CSS a browser downloads, gzipped. */
export const UI_BUDGET_GZIP_BYTES = 80 * 1024;

/** Where the hashed JS and CSS go inside the output directory (cacheable for ever: their names change with their content). */
export const UI_ASSET_DIR = 'assets';

export interface UiBuildOptions {
  /** `local` keeps the local sign-in; `aws` removes every line of it. */
  readonly mode: 'aws' | 'local';
  /** Written: `index.html` and `assets/`; anything else in it is left alone. */
  readonly outDir: string;
}

export interface UiFile {
  /** Relative to the output directory, with `/` separators (`index.html`, `assets/main-3F2A….js`). */
  readonly path: string;
  readonly kind: 'html' | 'js' | 'css';
  readonly bytes: number;
  readonly gzipBytes: number;
}

export interface UiBuildResult {
  readonly mode: 'aws' | 'local';
  readonly outDir: string;
  readonly files: readonly UiFile[];
  /** What the budget counts: every JS and CSS file, gzipped. */
  readonly jsCssGzipBytes: number;
  readonly withinBudget: boolean;
}

/**
 * Builds the admin UI with esbuild: one JS and one CSS file with content-hashed names, minified,
 * and `index.html` naming them. `__LOCAL_SIGN_IN__` is `mode === 'local'`, so the AWS build holds
 * nothing of the local sign-in.
 */
export async function buildUi(options: UiBuildOptions): Promise<UiBuildResult> {
  const outDir = path.resolve(options.outDir);
  const assetDir = path.join(outDir, UI_ASSET_DIR);
  const built = await build({
    absWorkingDir: UI_ROOT,
    entryPoints: [path.join(UI_ROOT, 'src', 'main.tsx')],
    bundle: true,
    write: false,
    outdir: assetDir,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome111', 'firefox115', 'safari16.4'],
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(UI_ROOT, 'tsconfig.json'),
    define: { __LOCAL_SIGN_IN__: String(options.mode === 'local') },
    legalComments: 'eof',
    logLevel: 'silent',
  });
  const outputs = built.outputFiles.map((file) => ({
    path: path.relative(outDir, file.path).split(path.sep).join('/'),
    contents: file.contents,
  }));
  const js = outputs.find((file) => file.path.endsWith('.js'));
  const css = outputs.find((file) => file.path.endsWith('.css'));
  if (!js || !css) throw new Error(`The UI build produced no ${js ? 'CSS' : 'JS'} file.`);
  const template = await readFile(path.join(UI_ROOT, 'index.html'), 'utf8');
  const html = template.replace('{{css}}', css.path).replace('{{js}}', js.path);
  if (html.includes('{{')) throw new Error('ui/index.html has a placeholder the build does not fill.');

  await rm(assetDir, { recursive: true, force: true });
  await mkdir(assetDir, { recursive: true });
  const files: UiFile[] = [];
  for (const file of [...outputs, { path: 'index.html', contents: new TextEncoder().encode(html) }]) {
    await writeFile(path.join(outDir, file.path), file.contents);
    const kind = file.path.endsWith('.js') ? 'js' : file.path.endsWith('.css') ? 'css' : 'html';
    files.push({
      path: file.path,
      kind,
      bytes: file.contents.byteLength,
      gzipBytes: gzipSync(file.contents, { level: 9 }).byteLength,
    });
  }
  const jsCssGzipBytes = files.filter((file) => file.kind !== 'html').reduce((sum, file) => sum + file.gzipBytes, 0);
  return { mode: options.mode, outDir, files, jsCssGzipBytes, withinBudget: jsCssGzipBytes <= UI_BUDGET_GZIP_BYTES };
}

/** The build's report: each file's size, raw and gzipped, and the budgeted total. */
export function formatBuildReport(result: UiBuildResult): string {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const width = Math.max(...result.files.map((file) => file.path.length));
  const relative = path.relative(process.cwd(), result.outDir);
  return [
    `Admin UI (${result.mode}) in ${relative.startsWith('..') ? result.outDir : relative || '.'}`,
    ...result.files.map(
      (file) =>
        `  ${file.path.padEnd(width)}  ${kb(file.bytes).padStart(9)}  ${kb(file.gzipBytes).padStart(9)} gzipped`,
    ),
    `  JS + CSS gzipped: ${kb(result.jsCssGzipBytes)} of ${kb(UI_BUDGET_GZIP_BYTES)}${result.withinBudget ? '' : ' - OVER BUDGET'}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { mode: { type: 'string', default: 'aws' }, out: { type: 'string' } },
    allowPositionals: false,
  });
  if (values.mode !== 'aws' && values.mode !== 'local')
    throw new Error(`--mode must be aws or local, not '${values.mode}'.`);
  const result = await buildUi({ mode: values.mode, outDir: values.out ?? path.join(UI_ROOT, 'dist') });
  process.stdout.write(`${formatBuildReport(result)}\n`);
  if (!result.withinBudget) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
