import { boot } from '../lib/boot';
import Page from '../pages/Admin.svelte';

boot(Page);
