/** Text that reaches a terminal or the audit log: control characters never pass raw. Pure. */

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
/** C0 and C1 controls, DEL, and the bidirectional overrides and isolates that reorder what follows. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const HAS_UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * A value as it may be printed or recorded: control characters (ESC, BEL, newline, …) and bidi
 * controls become visible escapes (`\n`, `\x1b`, `\u202e`), so a value can neither break a line,
 * fake a record, nor send a terminal commands.
 */
export function escapeControls(s: string): string {
  return s.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return NAMED_ESCAPES[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

/** Whether a value holds a control character (then it is refused, or escaped). */
export const hasControls = (s: string) => HAS_UNPRINTABLE.test(s);
