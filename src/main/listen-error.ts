/** The server cannot listen (the port is taken, the address is not this host's…): one line, exit 1. */
export class ListenError extends Error {}
