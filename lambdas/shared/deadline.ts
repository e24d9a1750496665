import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';
import type { Context } from 'aws-lambda';
import { DependencyUnavailableError } from '../domain/errors.js';

/** Time kept back from the function's timeout to answer, log and flush after the deadline. */
export const DEADLINE_MARGIN_MS = 1_000;

const invocationSignal = new AsyncLocalStorage<AbortSignal>();

/** The error of an invocation that reached its deadline: a 503 with `Retry-After` over HTTP, a retry elsewhere. */
export const deadlineExceeded = (): Error =>
  new DependencyUnavailableError('A dependency did not answer in time; retry shortly.', 2);

/** The abort signal of the invocation this code runs for, when it runs under {@link withDeadline}. */
export function deadlineSignal(): AbortSignal | undefined {
  return invocationSignal.getStore();
}

/**
 * Runs `work` with a deadline {@link DEADLINE_MARGIN_MS} before the function would time out (from
 * the Lambda context's `getRemainingTimeInMillis()`). At the deadline, the signal that every
 * DynamoDB call made inside `work` carries is aborted, so no call is left running, and this rejects
 * with {@link deadlineExceeded} at once, without waiting for `work` to notice.
 */
export async function withDeadline<T>(
  context: Pick<Context, 'getRemainingTimeInMillis'> | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (typeof context?.getRemainingTimeInMillis !== 'function') return work();
  const controller = new AbortController();
  // Every DynamoDB call in flight listens to the signal, and a page of a job makes many at once.
  setMaxListeners(0, controller.signal);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => {
        const error = deadlineExceeded();
        controller.abort(error);
        reject(error);
      },
      Math.max(0, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS),
    );
  });
  try {
    return await Promise.race([invocationSignal.run(controller.signal, work), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
