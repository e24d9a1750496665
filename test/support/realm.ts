import { types } from 'node:util';

/**
 * Jest runs each test file in its own VM context, so an error created by Node itself (for example
 * `connect ECONNREFUSED` from `node:net`) is an instance of the host realm's `Error`, not of the
 * test's. Code under test that checks `error instanceof Error` then misses it: the AWS SDK's retry
 * middleware (`asSdkError` in @smithy/core) replaces such an error with a new
 * `Error('AWS SDK error wrapper for ...')` that has lost its `code`. A Lambda runs in one realm,
 * where this never happens.
 *
 * This makes `x instanceof Error` true for native errors of any realm, as in production, and
 * returns a function that undoes it. Subclasses keep their ordinary `instanceof` semantics.
 */
export function recognizeHostRealmErrors(): () => void {
  const original = Object.getOwnPropertyDescriptor(Error, Symbol.hasInstance);
  const ordinary = Function.prototype[Symbol.hasInstance];
  Object.defineProperty(Error, Symbol.hasInstance, {
    configurable: true,
    value(this: unknown, value: unknown): boolean {
      return ordinary.call(this, value) || (this === Error && types.isNativeError(value));
    },
  });
  return () => {
    if (original) Object.defineProperty(Error, Symbol.hasInstance, original);
    else delete (Error as { [Symbol.hasInstance]?: unknown })[Symbol.hasInstance];
  };
}
