/**
 * Starts two things side by side. If either fails to start, the other one is stopped (once it has
 * started) before the failure is passed on, so that a test whose setup fails leaves no process
 * running behind it (a local stack with its DynamoDB Local, say, when Chromium is missing).
 */
export async function startTogether<A, B>(
  first: { start: () => Promise<A>; stop: (started: A) => Promise<unknown> },
  second: { start: () => Promise<B>; stop: (started: B) => Promise<unknown> },
): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled([first.start(), second.start()]);
  if (a.status === 'fulfilled' && b.status === 'fulfilled') return [a.value, b.value];
  await Promise.allSettled([
    a.status === 'fulfilled' ? first.stop(a.value) : undefined,
    b.status === 'fulfilled' ? second.stop(b.value) : undefined,
  ]);
  throw a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason;
}
