/**
 * The names the local stack answers to. A request addressed to any other name is meant for another
 * site, or comes from a page that rebound its own name to this machine (DNS rebinding) to reach the
 * stack's unauthenticated endpoints.
 */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'] as const;

/** The `Host` values of a request to the local stack on `port` (browsers leave out port 80). */
export function loopbackHosts(port: number): string[] {
  return LOOPBACK_NAMES.flatMap((name) => (port === 80 ? [name, `${name}:80`] : [`${name}:${port}`]));
}

/** The origins of the pages the local stack on `port` serves. */
export function loopbackOrigins(port: number): string[] {
  return loopbackHosts(port).map((host) => `http://${host}`);
}

/** Whether `host` (a request's `Host` header) addresses the local stack on `port`. */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  return host !== undefined && loopbackHosts(port).includes(host.toLowerCase());
}
