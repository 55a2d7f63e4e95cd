import { boot } from '../lib/boot';
import Page from '../pages/Filesystem.svelte';

boot(Page);
