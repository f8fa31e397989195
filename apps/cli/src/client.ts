import type { Settings } from './settings';

/** A refusal or failure from the API, with its status and reason. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The REST API, the only thing the CLI talks to. */
export class ApiClient {
  constructor(private readonly s: Settings) {}

  get url(): string {
    return this.s.url;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  /** A document (a report): the text as sent, never parsed. */
  text(path: string): Promise<string> {
    return this.call<string>('GET', path, undefined, true);
  }

  private async call<T>(method: string, path: string, body?: unknown, asText = false): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.s.token) headers.authorization = `Bearer ${this.s.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.s.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      throw new ApiError(0, `cannot reach ${this.s.url}: ${(err as Error).cause ?? (err as Error).message}`);
    }
    const text = await res.text();
    if (asText && res.ok) return text as T;
    let data: unknown = text;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    if (!res.ok) {
      const msg = (data as { message?: unknown })?.message ?? text;
      const hint = res.status === 401 ? ' (cicenns login, or set CICENNS_TOKEN)' : '';
      throw new ApiError(
        res.status,
        `${res.status}: ${Array.isArray(msg) ? msg.join('; ') : String(msg)}${hint}`,
      );
    }
    return data as T;
  }
}
