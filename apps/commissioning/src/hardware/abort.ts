/** What an aborted wait rejects with: the signal's reason (the runner aborts with an Error saying who and why). */
export function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(r === undefined ? 'aborted' : String(r));
}
