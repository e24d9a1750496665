import type { FlagStore, OrgState } from './flag-store.js';
import type { FlagRow, OrgRecord } from './flags.js';
import type { Job } from './jobs.js';

/** Where a listing continues: the store's own position, opaque to the domain. */
export type StoreCursor = Readonly<Record<string, unknown>>;

/** An item exactly as the store holds it, for exports that must restore it unchanged. */
export type StoredItem = Readonly<Record<string, unknown>>;

/** One org's state, with each flag row also as stored (by key). */
export interface OrgSnapshot extends OrgState {
  readonly stored: ReadonlyMap<string, StoredItem>;
}

/** What jobs over all orgs need from the flag store. */
export interface FleetStore extends Pick<FlagStore, 'putRowsIfAbsent' | 'getFlag'> {
  /** How many orgs are provisioned. */
  countOrgs(): Promise<number>;
  /** A page of provisioned orgs in org id order, from `cursor`; `next` is absent after the last page. */
  listOrgs(limit: number, cursor?: StoreCursor): Promise<{ orgs: OrgRecord[]; next?: StoreCursor }>;
  getOrgSnapshot(orgId: string): Promise<OrgSnapshot>;
  /** Notes on the org record that it holds a row for every flag of `registryVersion`. */
  markOrgSynced(orgId: string, registryVersion: string, at: string): Promise<void>;
  /** Deletes a flag row only if it still has `version`; returns whether it did. */
  deleteRowIfUnchanged(orgId: string, key: string, version: number): Promise<boolean>;
  /** Writes a flag row back unless a row for its org and key exists; returns whether it did. */
  restoreRowIfAbsent(row: FlagRow): Promise<boolean>;
}

/** Reads the items of an orphan export (flag rows as the store holds them) back as flag rows. */
export interface ExportedRowReader {
  /** The row an exported item is, or what is wrong with it when it is not exactly a flag row as the store writes one. */
  read(item: unknown): { readonly row: FlagRow } | { readonly problem: string };
}

/** Where jobs are kept. */
export interface JobStore {
  /** Stores a new job; fails if the id is taken. */
  create(job: Job): Promise<void>;
  get(jobId: string): Promise<Job | undefined>;
  /** Jobs newest first, after the job `after` (the last one of the previous page); `next` when there may be more. */
  list(limit: number, after?: string): Promise<{ jobs: Job[]; next?: string }>;
  /**
   * Replaces the job with `next` if it still has the status and page count of `expected`: the
   * checkpoint. Returns false when another run got there first (nothing is written then).
   */
  save(next: Job, expected: Pick<Job, 'status' | 'pagesDone'>): Promise<boolean>;
}

/** Starts the engine that runs a job's pages (Step Functions in AWS, the local engine locally). */
export interface JobLauncher {
  /** Starts a run of the job; `runName` is unique per run (a resumed job runs again under a new name). */
  start(jobId: string, runName: string): Promise<void>;
}

/** Where orphan rows are written before they are deleted. */
export interface ExportSink {
  /** Writes one page's items as JSON lines; never overwrites an earlier write. Returns where they went. */
  write(jobId: string, page: number, items: readonly StoredItem[]): Promise<string>;
  /** Where a job's exports are (a directory, file or bucket prefix). */
  location(jobId: string): string;
}
