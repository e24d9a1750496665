/** Detail type of the event the org-signup system publishes when an org is created. */
export const ORG_CREATED = 'OrgCreated';

/** Detail type of the event the org-signup system publishes when an org's attributes change. */
export const ORG_UPDATED = 'OrgUpdated';

/** Default `source` of `OrgCreated` events; deployments may configure another. */
export const DEFAULT_ORG_EVENT_SOURCE = 'org-service';
