import { boot } from '../lib/boot';
import Page from '../pages/Home.svelte';

boot(Page);
