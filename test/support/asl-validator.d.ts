/** The types of asl-validator 4, which ships none: the default export validates an Amazon States Language definition. */
declare module 'asl-validator' {
  interface ValidationError {
    readonly 'Error code': string;
    readonly Message: string;
  }
  interface ValidationResult {
    readonly isValid: boolean;
    readonly errors: readonly ValidationError[];
    errorsText(separator?: string): string;
  }
  /** Validates a definition; it sets `QueryLanguage` on each state of the object it is given. */
  export default function aslValidator(
    definition: unknown,
    options?: { readonly checkPaths: boolean; readonly checkArn: boolean },
  ): ValidationResult;
}
