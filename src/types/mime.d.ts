/** mime 3 ships no types: the two lookups we use (`mime` is mime-db's standard and other types). */
declare module 'mime' {
  interface Mime {
    /** The type of a path or extension, null when unknown. */
    getType(pathOrExtension: string): string | null;
    /** The first extension mime-db lists for a type (no dot), null when unknown. */
    getExtension(type: string): string | null;
  }
  const mime: Mime;
  export default mime;
}
