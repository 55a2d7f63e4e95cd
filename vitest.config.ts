import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for something that happens on its own (a log line written, a socket
    // closed, a batch flushed): 1 s by default, which a loaded CI machine (the scale-out suites
    // beside Node 24's run) can overrun. A poll that succeeds returns as soon as it does.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
  },
});
