/**
 * Reading dockerode's errors. docker-modem rejects a non-2xx answer with an Error carrying
 * `statusCode` and, for calls whose answer is one document, `json` (the engine's `{message}`);
 * for streamed calls (pull, load, events) only the message holds the engine's text, after
 * docker-modem's `(HTTP code N) reason - ` prefix.
 */

/** docker-modem's message: `(HTTP code 404) no such image - No such image: x:1 ` */
const MODEM_MESSAGE = /^\(HTTP code \d+\) [^-]*? - ([\s\S]*?)\s*$/;

/** The HTTP status of an engine error, or undefined (no answer: connection refused, reset, TLS). */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The engine's own message for an engine error, else the error's message. */
export function errorText(err: unknown): string {
  const e = err as { json?: unknown; message?: unknown } | null | undefined;
  const json = e?.json as { message?: unknown } | null | undefined;
  if (json && typeof json === 'object' && !Buffer.isBuffer(json) && typeof json.message === 'string') return json.message;
  if (typeof e?.message !== 'string') return String(err);
  const m = statusOf(err) !== undefined ? MODEM_MESSAGE.exec(e.message) : null;
  return m ? m[1]! : e.message;
}
