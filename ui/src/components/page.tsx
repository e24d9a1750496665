import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';

/** A page outside the signed-in shell: sign-in, renewal, refusal. */
export function Page({ title, children }: { title: string; children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · Feature flags`;
  }, [title]);
  return (
    <main id="main" class="page-narrow">
      <p class="brand">Feature flags</p>
      <h1>{title}</h1>
      {children}
    </main>
  );
}
