import { useEffect } from 'preact/hooks';

/**
 * Calls `poll` every `seconds` while the document is visible, and at once when it becomes visible
 * again; never two calls at a time. The signal aborts when `poll` or `seconds` changes or the
 * component goes. No polling when `seconds` is 0 or undefined.
 */
export function usePolling(poll: (signal: AbortSignal) => Promise<void>, seconds: number | undefined): void {
  useEffect(() => {
    if (!seconds) return;
    const controller = new AbortController();
    let polling = false;
    const tick = async () => {
      if (polling || document.visibilityState !== 'visible') return;
      polling = true;
      try {
        await poll(controller.signal);
      } finally {
        polling = false;
      }
    };
    const timer = window.setInterval(() => void tick(), seconds * 1000);
    const onVisible = () => void tick();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      controller.abort();
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [poll, seconds]);
}
