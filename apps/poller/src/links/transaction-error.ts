/**
 * Why a Modbus transaction failed, in the words a shift crew reads on a bad reading.
 * - exception: the device answered with an exception code (its answer, no retry helps);
 * - timeout: no (complete) answer within the link's timeout;
 * - malformed: an answer that does not parse (CRC, byte count, wrong unit/function);
 * - link: the connection is not there (refused, reset, closed, port not open).
 */
export type FailureKind = 'exception' | 'timeout' | 'malformed' | 'link';

export class TransactionError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'TransactionError';
  }
}

const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

const LINK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTCONN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOENT',
  'EACCES',
  'EBUSY',
]);

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  modbusCode?: unknown;
}

/**
 * Turn whatever modbus-serial rejected with into a TransactionError. Its errors are not all
 * Error instances (the timeout is a plain object with message 'Timed out'), and it reports
 * "Port Not Open" with errno ECONNREFUSED, so this looks at message, code and errno.
 */
export function classifyError(err: unknown, timeoutMs: number): TransactionError {
  if (err instanceof TransactionError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as ErrorLike;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (typeof e.modbusCode === 'number') {
    const name = EXCEPTION_NAMES[e.modbusCode] ?? 'unknown exception';
    return new TransactionError('exception', `modbus exception ${e.modbusCode} (${name})`);
  }
  if (message === 'Timed out' || e.errno === 'ETIMEDOUT') {
    return new TransactionError('timeout', `timeout after ${timeoutMs} ms`);
  }
  if (message === 'Port Not Open') return new TransactionError('link', 'link down: port not open');
  if (code && LINK_CODES.has(code)) return new TransactionError('link', `link down: ${code}`);
  if (/CRC error|Data length error|Unexpected data error|out of range|Illegal|buffer/i.test(message)) {
    return new TransactionError('malformed', `malformed reply: ${message}`);
  }
  if (code) return new TransactionError('link', `link down: ${code} ${message}`.trim());
  return new TransactionError('malformed', `malformed reply: ${message}`);
}

/** A short reason for a failed connect, e.g. "ECONNREFUSED" or "connect timeout after 3000 ms". */
export function connectFailureReason(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as ErrorLike;
  if (typeof e.code === 'string') return e.code;
  return typeof e.message === 'string' && e.message ? e.message : String(err);
}
