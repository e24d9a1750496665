import { DEFAULT_ORG_EVENT_SOURCE, ORG_CREATED, ORG_UPDATED } from '../../lambdas/domain/events.js';
import type { EventPattern } from './event-pattern.js';
import type { HandlerName } from './handlers.js';

/** One EventBridge rule on the org event bus, with its target's retry policy. */
export interface EventRuleDeclaration {
  readonly id: string;
  readonly description: string;
  readonly pattern: EventPattern;
  readonly target: HandlerName;
  /** Deliveries after the first before the event is dead-lettered. */
  readonly retryAttempts: number;
  /** Age after which an undelivered event is dead-lettered instead of retried. */
  readonly maxEventAgeSeconds: number;
}

/** Settings the rules depend on. */
export interface RuleSettings {
  /** `source` of `OrgCreated` and `OrgUpdated` events published by the org-signup system. */
  readonly orgEventSource: string;
}

/** Every event rule, declared once for the CDK stack and the local EventBridge endpoint. */
export function eventRules(
  settings: RuleSettings = { orgEventSource: DEFAULT_ORG_EVENT_SOURCE },
): EventRuleDeclaration[] {
  return [
    {
      id: 'OrgCreated',
      description: 'Provision the feature flags of each new org',
      pattern: { source: [settings.orgEventSource], 'detail-type': [ORG_CREATED] },
      target: 'org-created',
      retryAttempts: 4,
      maxEventAgeSeconds: 3600,
    },
    {
      id: 'OrgUpdated',
      description: "Update an org's attributes",
      pattern: { source: [settings.orgEventSource], 'detail-type': [ORG_UPDATED] },
      target: 'org-updated',
      retryAttempts: 4,
      maxEventAgeSeconds: 3600,
    },
  ];
}
