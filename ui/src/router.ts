import { useEffect, useState } from 'preact/hooks';

/** The app's screens, addressed by the URL fragment (`/admin/#/orgs/acme`): static hosting serves only index.html. */
export type Route =
  | { readonly name: 'orgs'; readonly prefix: string; readonly limit: number | undefined }
  | { readonly name: 'org'; readonly orgId: string }
  | { readonly name: 'not-found'; readonly hash: string };

/** The screens the main navigation offers, in order. */
export const NAV: readonly { readonly label: string; readonly href: string; readonly matches: Route['name'][] }[] = [
  { label: 'Orgs', href: '#/orgs', matches: ['orgs', 'org'] },
];

export const HOME = '#/orgs';

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?', 2);
  const params = new URLSearchParams(query);
  const segments = path.split('/').filter(Boolean).map(decodeSegment);
  if (segments.length === 0 || (segments.length === 1 && segments[0] === 'orgs')) {
    const limit = Number(params.get('limit'));
    return { name: 'orgs', prefix: params.get('prefix') ?? '', limit: Number.isInteger(limit) && limit > 0 ? limit : undefined };
  }
  if (segments.length === 2 && segments[0] === 'orgs' && segments[1]) return { name: 'org', orgId: segments[1] };
  return { name: 'not-found', hash };
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
