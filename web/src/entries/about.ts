import { boot } from '../lib/boot';
import Page from '../pages/About.svelte';

boot(Page);
