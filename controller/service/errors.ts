/** An expected failure of an agent operation, with the HTTP status the API answers it with. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly details?: unknown) {
    super(message);
  }
}
