import type { RetiredFlag } from './schema.js';

/** Keys that were flags once. They are never reused; rows left behind are removed by cleanup. */
export const RETIRED: readonly RetiredFlag[] = [
  {
    key: 'legacy-editor',
    retired: '2026-10-01',
    reason: 'Replaced by composer; every org had moved off it.',
  },
];
