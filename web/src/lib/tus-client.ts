// tus-js-client on its own chunk (res/tus-client-*.js), imported on demand by ./tus.ts only.
export * from 'tus-js-client';
