// Browser side of server rendering: hydrate the page with the props the server rendered it with.
import { hydrate, type Component } from 'svelte';
import './theme.css';

declare global {
  interface Window {
    page_props?: Record<string, unknown>;
    viewer_data?: unknown;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function boot(page: Component<any>): void {
  const props: Record<string, unknown> = { ...window.page_props };
  // The viewer's data travels in pixeldrain's global (download tools parse it), not twice.
  if (window.viewer_data !== undefined) props.viewer_data = window.viewer_data;
  hydrate(page, { target: document.getElementById('app')!, props });
}
