/** A body that could not be read as asked: too big, cut off, or malformed. */
export class BodyError extends Error {
  constructor(
    readonly reason: 'too_large' | 'unreadable' | 'malformed',
    message: string,
  ) {
    super(message);
  }
}
