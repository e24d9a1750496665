import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { usePolling } from './polling.js';

/** What every paginated answer of the API carries. */
interface Paged {
  readonly next_cursor: string | null;
}

export interface PagedList<T extends Paged> {
  readonly page: T | null;
  readonly error: unknown;
  readonly loading: boolean;
  /** 1 for the first page. */
  readonly pageNumber: number;
  next(): void;
  previous(): void;
  /** Asks for the page shown again, now. */
  reload(): void;
  /** Back to the first page, asked for again. */
  restart(): void;
  /** The results' heading: it takes the focus when the person moved to another page. */
  readonly resultsRef: { current: HTMLHeadingElement | null };
}

/**
 * A paginated list in the API's terms: the cursor of each page visited is kept, so "previous" is
 * one step back. With `pollSeconds` the page shown is asked for again at that interval while the
 * document is visible and `paused()` is false, and replaced without a loading state; `onPolled`
 * sees the old and the new answer.
 */
export function usePagedList<T extends Paged>(
  fetchPage: (cursor: string | undefined, signal: AbortSignal) => Promise<T>,
  options: {
    pollSeconds?: number;
    paused?: () => boolean;
    onPolled?: (before: T | null, after: T, pageNumber: number) => void;
  } = {},
): PagedList<T> {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  const resultsRef = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);
  const pageRef = useRef<T | null>(null);
  pageRef.current = page;
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const cursor = cursors[cursors.length - 1];
  const pageNumber = cursors.length;
  // Loading until the request for the page now named has settled, from the very render that names it:
  // the page before is never shown as settled under the new page's number or heading.
  const request = useMemo(() => ({ fetchPage, cursor, reloads }), [fetchPage, cursor, reloads]);
  const [settled, setSettled] = useState<typeof request | null>(null);
  const loading = settled !== request;

  useEffect(() => {
    const controller = new AbortController();
    request
      .fetchPage(request.cursor, controller.signal)
      .then((answer) => {
        setPage(answer);
        setError(null);
      })
      .catch((caught: unknown) => {
        if (!controller.signal.aborted) setError(caught);
      })
      .finally(() => {
        if (controller.signal.aborted) return;
        setSettled(request);
        if (moved.current) {
          moved.current = false;
          resultsRef.current?.focus();
        }
      });
    return () => controller.abort();
  }, [request]);

  const poll = useCallback(
    async (signal: AbortSignal) => {
      if (optionsRef.current.paused?.()) return;
      try {
        const answer = await fetchPage(cursor, signal);
        if (signal.aborted || optionsRef.current.paused?.()) return;
        optionsRef.current.onPolled?.(pageRef.current, answer, pageNumber);
        setPage(answer);
        setError(null);
      } catch (caught) {
        // A failed poll keeps the page as it is; the error shows until a poll succeeds.
        if (!signal.aborted) setError(caught);
      }
    },
    [fetchPage, cursor, pageNumber],
  );
  usePolling(poll, options.pollSeconds);

  const next = useCallback(() => {
    const nextCursor = pageRef.current?.next_cursor;
    if (!nextCursor) return;
    moved.current = true;
    setCursors((list) => [...list, nextCursor]);
  }, []);
  const previous = useCallback(() => {
    moved.current = true;
    setCursors((list) => (list.length > 1 ? list.slice(0, -1) : list));
  }, []);
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  const restart = useCallback(() => {
    setCursors([undefined]);
    setReloads((n) => n + 1);
  }, []);

  return { page, error, loading, pageNumber, next, previous, reload, restart, resultsRef };
}

/** Previous and next page buttons, and the page number between them. */
export function Pager({
  label,
  list,
  previousLabel = 'Previous page',
  nextLabel = 'Next page',
}: {
  label: string;
  list: PagedList<Paged>;
  previousLabel?: string;
  nextLabel?: string;
}) {
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" class="button" onClick={list.previous} disabled={list.pageNumber === 1 || list.loading}>
        {previousLabel}
      </button>
      <span class="pager-page">Page {list.pageNumber}</span>
      <button type="button" class="button" onClick={list.next} disabled={!list.page?.next_cursor || list.loading}>
        {nextLabel}
      </button>
    </nav>
  );
}
