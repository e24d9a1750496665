import type { FlagDefinition } from './schema.js';

/**
 * Every flag that exists, in the order the API returns them. Add a flag by appending an entry;
 * remove one by moving its key to `retired.ts`. Changing `default_enabled` affects only orgs
 * created after the change: existing orgs keep the explicit rows they were given.
 */
export const FLAGS: readonly FlagDefinition[] = [
  {
    key: 'composer',
    description: 'The message composer in the web app.',
    default_enabled: true,
    internal_only: false,
    owner: 'team-messaging',
    created: '2026-09-01',
    permanent: true,
  },
  {
    key: 'composer-dashboard',
    description: 'Staff dashboard with composer usage per org; internal tooling, never shown to orgs.',
    default_enabled: false,
    internal_only: true,
    owner: 'team-messaging',
    created: '2026-10-05',
    cleanup_after: '2027-06-30',
  },
  {
    key: 'chat',
    description: 'Real-time chat between members of an org, in beta.',
    default_enabled: false,
    internal_only: false,
    owner: 'team-realtime',
    created: '2026-11-02',
    cleanup_after: '2027-05-31',
  },
];
