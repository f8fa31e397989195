/**
 * Text of anything that was thrown, for logs and dead letters. Never throws itself: a handler
 * that catches a message's failure must not fail on describing it (anything can be thrown, also
 * an object whose toString throws).
 */
export function describeError(err: unknown): string {
  try {
    return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  } catch {
    return typeof err;
  }
}

/** The one-line form: "RangeError: Invalid time value", without the stack. */
export function errorSummary(err: unknown): string {
  try {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  } catch {
    return typeof err;
  }
}
