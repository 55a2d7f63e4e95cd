import { boot } from '../lib/boot';
import Page from '../pages/Error.svelte';

boot(Page);
