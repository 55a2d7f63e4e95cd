import { boot } from '../lib/boot';
import Page from '../pages/Auth.svelte';

boot(Page);
