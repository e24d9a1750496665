import type { ComponentChildren } from 'preact';
import { ApiError } from '../api.js';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A point in time, shown in the reader's locale, exact in `datetime` and on hover. */
export function Time({ value }: { value: string }) {
  const date = new Date(value);
  return (
    <time dateTime={value} title={value}>
      {Number.isNaN(date.getTime()) ? value : dateTime.format(date)}
    </time>
  );
}

/** What went wrong, as the API worded it (`error.message`). */
export function ErrorMessage({ error, children }: { error: unknown; children?: ComponentChildren }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div class="message message-error" role="alert">
      <p>
        {message}
        {error instanceof ApiError && error.status > 0 ? <span class="error-code"> ({error.code})</span> : null}
      </p>
      {children}
    </div>
  );
}

/** Who wrote a row last: the email when the token carried one, else the stable subject. */
export function who(entry: { updated_by: string | null; updated_by_email: string | null }): string | null {
  return entry.updated_by_email ?? entry.updated_by;
}

/** "1 org", "230 orgs": a count with its noun, in English. */
export function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}
