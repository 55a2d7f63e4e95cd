import { boot } from '../lib/boot';
import Page from '../pages/Viewer.svelte';

boot(Page);
