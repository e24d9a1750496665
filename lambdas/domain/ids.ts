/** The start of an id that sorts by time, to the millisecond: `20261123T101500123Z` (jobs, rollouts). */
export function idStamp(now: Date): string {
  return now.toISOString().replace(/[-:.]/g, '');
}
