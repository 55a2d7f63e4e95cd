// imgbb-uploader 1.5.1 names a types file it does not ship.
declare module 'imgbb-uploader' {
  const imgbbUploader: (...args: unknown[]) => Promise<unknown>;
  export default imgbbUploader;
}
