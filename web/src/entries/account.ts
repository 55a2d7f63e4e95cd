import { boot } from '../lib/boot';
import Page from '../pages/Account.svelte';

boot(Page);
