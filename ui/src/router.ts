import { useEffect, useState } from 'preact/hooks';

/** The app's screens, addressed by the URL fragment (`/admin/#/orgs/acme`): static hosting serves only index.html. */
export type Route =
  | { readonly name: 'orgs'; readonly prefix: string; readonly limit: number | undefined }
  | { readonly name: 'org'; readonly orgId: string }
  | { readonly name: 'flags' }
  | {
      readonly name: 'flag';
      readonly key: string;
      readonly enabled: boolean | undefined;
      readonly limit: number | undefined;
    }
  | { readonly name: 'org-history'; readonly orgId: string; readonly key: string | undefined }
  | { readonly name: 'flag-history'; readonly key: string }
  | { readonly name: 'jobs' }
  | { readonly name: 'job'; readonly jobId: string }
  | { readonly name: 'not-found'; readonly hash: string };

/** The screens the main navigation offers, in order. */
export const NAV: readonly { readonly label: string; readonly href: string; readonly matches: Route['name'][] }[] = [
  { label: 'Orgs', href: '#/orgs', matches: ['orgs', 'org', 'org-history'] },
  { label: 'Flags', href: '#/flags', matches: ['flags', 'flag', 'flag-history'] },
  { label: 'Jobs', href: '#/jobs', matches: ['jobs', 'job'] },
];

export const HOME = '#/orgs';

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?', 2);
  const params = new URLSearchParams(query);
  const segments = path.split('/').filter(Boolean).map(decodeSegment);
  if (segments.length === 0 || (segments.length === 1 && segments[0] === 'orgs')) {
    return { name: 'orgs', prefix: params.get('prefix') ?? '', limit: pageSize(params) };
  }
  const [first, second, third] = segments;
  if (segments.length === 2 && first === 'orgs' && second) return { name: 'org', orgId: second };
  if (segments.length === 1 && first === 'flags') return { name: 'flags' };
  if (segments.length === 2 && first === 'flags' && second) {
    const enabled = params.get('enabled');
    return {
      name: 'flag',
      key: second,
      enabled: enabled === 'true' ? true : enabled === 'false' ? false : undefined,
      limit: pageSize(params),
    };
  }
  if (segments.length === 3 && first === 'history' && second === 'orgs' && third) {
    return { name: 'org-history', orgId: third, key: params.get('key') || undefined };
  }
  if (segments.length === 3 && first === 'history' && second === 'flags' && third)
    return { name: 'flag-history', key: third };
  if (segments.length === 1 && first === 'jobs') return { name: 'jobs' };
  if (segments.length === 2 && first === 'jobs' && second) return { name: 'job', jobId: second };
  return { name: 'not-found', hash };
}

/** `limit` of the fragment's query, when it is a page size the API takes (1-200). */
function pageSize(params: URLSearchParams): number | undefined {
  const limit = Number(params.get('limit'));
  return Number.isInteger(limit) && limit > 0 && limit <= 200 ? limit : undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function orgsHref(query: { prefix?: string; limit?: number | undefined } = {}): string {
  const params = new URLSearchParams();
  if (query.prefix) params.set('prefix', query.prefix);
  if (query.limit) params.set('limit', String(query.limit));
  const search = params.toString();
  return `#/orgs${search ? `?${search}` : ''}`;
}

export function orgHref(orgId: string): string {
  return `#/orgs/${encodeURIComponent(orgId)}`;
}

export function flagsHref(): string {
  return '#/flags';
}

export function flagHref(
  key: string,
  query: { enabled?: boolean | undefined; limit?: number | undefined } = {},
): string {
  const params = new URLSearchParams();
  if (query.enabled !== undefined) params.set('enabled', String(query.enabled));
  if (query.limit) params.set('limit', String(query.limit));
  const search = params.toString();
  return `#/flags/${encodeURIComponent(key)}${search ? `?${search}` : ''}`;
}

export function orgHistoryHref(orgId: string, key?: string): string {
  return `#/history/orgs/${encodeURIComponent(orgId)}${key ? `?key=${encodeURIComponent(key)}` : ''}`;
}

export function flagHistoryHref(key: string): string {
  return `#/history/flags/${encodeURIComponent(key)}`;
}

export function jobsHref(): string {
  return '#/jobs';
}

export function jobHref(jobId: string): string {
  return `#/jobs/${encodeURIComponent(jobId)}`;
}

/** The current route, following the fragment. */
export function useRoute(): Route {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    // The fragment may have changed between the first render and this subscription.
    onChange();
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return parseRoute(hash);
}
