import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';
import { PROJECT_ROOT } from '../../../lib/project.js';

/*
 * Each job type's differences are data: records keyed by job type, typed so that a type without
 * its entry does not compile. This test proves it the way it would happen: it type-checks the
 * modules that hold such records as if lambdas/domain/jobs.ts declared a fourth type, and expects
 * a type error inside each record's declaration.
 */

const JOBS_MODULE = path.join(PROJECT_ROOT, 'lambdas', 'domain', 'jobs.ts');
const JOB_TYPES_DECLARATION = /(export const JOB_TYPES = \[[^\]]*)\]/;

/** Every record keyed by job type: its module and the declaration that must fail, by the tsconfig that checks it. */
const RECORDS: Readonly<Record<string, readonly (readonly [file: string, declaration: string])[]>> = {
  'tsconfig.json': [
    ['lambdas/domain/jobs.ts', 'JobResultOf'], // each type's result (JobResultFields, indexed here)
    ['lambdas/domain/job-schemas.ts', 'jobOptionsSchemas'], // each type's options
    ['lambdas/domain/responses.ts', 'jobResultSchemas'], // each type's result in the API's answers
    ['lambdas/use-cases/jobs.ts', 'JOB_WORK'], // each type's page of work and result
    ['lib/flags-cli/format.ts', 'RESULT_LINES'], // what each type's result adds to the CLI's summary
  ],
  'ui/tsconfig.json': [['ui/src/screens/jobs.tsx', 'JOB_KINDS']], // each type's screens
};

/** The top-level statement of `source` that declares `name` (a variable or a type). */
function declarationOf(source: ts.SourceFile, name: string): ts.Statement | undefined {
  return source.statements.find((statement) =>
    ts.isVariableStatement(statement)
      ? statement.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === name)
      : (ts.isTypeAliasDeclaration(statement) || ts.isInterfaceDeclaration(statement)) && statement.name.text === name,
  );
}

/** For each record, whether its declaration has a type error once lambdas/domain/jobs.ts declares a fourth job type. */
function recordsFailingWithAFourthType(
  configFile: string,
  records: readonly (readonly [string, string])[],
): Record<string, boolean> {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(PROJECT_ROOT, configFile), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!config) throw new Error(`cannot read ${configFile}`);
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    if (path.resolve(fileName) !== JOBS_MODULE) return getSourceFile(fileName, languageVersion, ...rest);
    const text = ts.sys.readFile(fileName) ?? '';
    if (!JOB_TYPES_DECLARATION.test(text)) throw new Error('JOB_TYPES is no longer declared as this test expects');
    return ts.createSourceFile(fileName, text.replace(JOB_TYPES_DECLARATION, "$1, 'fourth']"), languageVersion);
  };
  const program = ts.createProgram({
    rootNames: records.map(([file]) => path.join(PROJECT_ROOT, file)),
    options: config.options,
    host,
  });
  return Object.fromEntries(
    records.map(([file, name]) => {
      const source = program.getSourceFile(path.join(PROJECT_ROOT, file));
      const declaration = source && declarationOf(source, name);
      if (!source || !declaration) throw new Error(`${file} declares no ${name}`);
      const failing = program
        .getSemanticDiagnostics(source)
        .some(
          (diagnostic) =>
            diagnostic.category === ts.DiagnosticCategory.Error &&
            diagnostic.start !== undefined &&
            diagnostic.start >= declaration.getStart(source) &&
            diagnostic.start < declaration.getEnd(),
        );
      return [`${file}: ${name}`, failing];
    }),
  );
}

describe('job types are data', () => {
  it.each(Object.entries(RECORDS))(
    'a fourth job type without its entries fails the type check in every record keyed by job type (%s)',
    (configFile, records) => {
      const failing = recordsFailingWithAFourthType(configFile, records);
      expect(failing).toEqual(Object.fromEntries(records.map(([file, name]) => [`${file}: ${name}`, true])));
    },
    60_000,
  );
});
