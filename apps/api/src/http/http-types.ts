import type { IncomingMessage, ServerResponse } from 'node:http';

/** The parts of Express's request and response we use (no @types/express in the project). */
export interface HttpRequest extends IncomingMessage {
  path: string;
  method: string;
  query: Record<string, unknown>;
  params: Record<string, string>;
  body: unknown;
  secure: boolean;
  /** http or https (X-Forwarded-Proto from a trusted proxy) */
  protocol: string;
  /** host[:port] as the client addressed it (X-Forwarded-Host from a trusted proxy) */
  host: string;
  /** the client's address (X-Forwarded-For from a trusted proxy) */
  ip: string;
}

export interface CookieOptions {
  httpOnly?: boolean;
  sameSite?: 'strict' | 'lax';
  secure?: boolean;
  path?: string;
  maxAge?: number;
}

export interface HttpResponse extends ServerResponse {
  cookie(name: string, value: string, opts: CookieOptions): this;
  clearCookie(name: string, opts?: CookieOptions): this;
}
