// Server entry (built with `vite build --ssr`): the same components the browser hydrates.
import type { Component } from 'svelte';
import { render as renderComponent } from 'svelte/server';
import About from './pages/About.svelte';
import Admin from './pages/Admin.svelte';
import Account from './pages/Account.svelte';
import Auth from './pages/Auth.svelte';
import ErrorPage from './pages/Error.svelte';
import Filesystem from './pages/Filesystem.svelte';
import Home from './pages/Home.svelte';
import Viewer from './pages/Viewer.svelte';
import type { PageName } from '../../src/http/web/page-types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const PAGES: Record<PageName, Component<any>> = {
  home: Home,
  viewer: Viewer,
  account: Account,
  auth: Auth,
  about: About,
  error: ErrorPage,
  admin: Admin,
  filesystem: Filesystem,
};

export function render(page: PageName, props: Record<string, unknown>) {
  const { head, body } = renderComponent(PAGES[page], { props });
  return { head, body };
}
