/** content-disposition 1.x ships no types: the builder and the parser we use. */
declare module 'content-disposition' {
  interface Options {
    type?: string;
    /** An ISO-8859-1 `filename`, or true to derive one, or false for none. */
    fallback?: string | boolean;
  }
  interface ContentDisposition {
    type: string;
    parameters: Record<string, string>;
  }
  function contentDisposition(filename?: string, options?: Options): string;
  namespace contentDisposition {
    /** Throws a TypeError on a malformed header. */
    function parse(header: string): ContentDisposition;
  }
  export default contentDisposition;
}
