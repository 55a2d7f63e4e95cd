// Browser side of server rendering: hydrate the page with the props the server rendered it with.
import { hydrate, type Component } from 'svelte';
import './theme.css';

declare global {
  interface Window {
    page_props?: Record<string, unknown>;
    viewer_data?: unknown;
    initial_node?: unknown;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function boot(page: Component<any>): void {
  const props: Record<string, unknown> = { ...window.page_props };
  // The viewer's data travels in pixeldrain's global (download tools parse it), not twice.
  if (window.viewer_data !== undefined) props.viewer_data = window.viewer_data;
  // The directory page's stat travels in pixeldrain's `window.initial_node`.
  if (window.initial_node !== undefined) props.initial_node = window.initial_node;
  hydrate(page, { target: document.getElementById('app')!, props });
}
