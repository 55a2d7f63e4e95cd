// Imported first by the CLI, before anything touches libuv's thread pool (sized at first use).
// Uploads spend their time in fdatasync/fsync/rename on that pool: with the default 4 threads,
// 64 concurrent small uploads queue behind each other's fsyncs instead of letting the filesystem
// journal batch them.
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '16';
export {};
