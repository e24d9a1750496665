import type { OrgAttributeDefinition } from './schema.js';

/**
 * What the service knows of an org besides its id. Values arrive in `OrgCreated` and `OrgUpdated`
 * events (or are set by an admin) and select audiences of rollouts. Add an attribute by appending
 * an entry; an enum takes only its listed values, a string up to 256 characters, a date
 * `YYYY-MM-DD`. Renaming or removing one leaves the values stored under the old name unread.
 */
export const ORG_ATTRIBUTES: readonly OrgAttributeDefinition[] = [
  {
    name: 'plan',
    type: 'enum',
    values: ['free', 'pro', 'enterprise'],
    description: "The org's subscription plan.",
  },
  {
    name: 'region',
    type: 'enum',
    values: ['us', 'eu', 'ap'],
    description: "Where the org's data is hosted.",
  },
];
