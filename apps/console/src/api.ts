/** JSON over fetch with the session cookie; errors carry the HTTP status and the server's message. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let onUnauthorized: () => void = () => undefined;

/** Called on any 401 (session expired): the console shows the login form. */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  return (await request<T>(path, init)).data;
}

/** The answer with its response headers (which the API uses to say more than the body). */
export async function apiWithHeaders<T>(path: string): Promise<{ data: T; headers: Headers }> {
  const { data, res } = await request<T>(path, {});
  return { data, headers: res.headers };
}

/** One page of a paged list (/api/pmts, /api/groups): its items, the total, the next page's path. */
export async function apiPage<T>(path: string): Promise<{ items: T[]; total: number; next: string | null }> {
  const { data, res } = await request<T[]>(path, {});
  const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1] ?? null;
  return { items: data, total: Number(res.headers.get('x-total-count') ?? data.length), next };
}

/** Every page of a paged list, following its Link headers. */
export async function apiAll<T>(path: string): Promise<T[]> {
  const out: T[] = [];
  for (let next: string | null = path; next !== null;) {
    const page: { items: T[]; next: string | null } = await apiPage<T>(next);
    out.push(...page.items);
    next = page.next;
  }
  return out;
}

async function request<T>(
  path: string,
  init: { method?: string; body?: unknown },
): Promise<{ data: T; res: Response }> {
  const method = init.method ?? (init.body === undefined ? 'GET' : 'POST');
  // the API takes state-changing calls only as JSON (its CSRF rule): a POST sends {} at least
  const body = method === 'GET' ? undefined : JSON.stringify(init.body ?? {});
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers:
      body === undefined
        ? { accept: 'application/json' }
        : { accept: 'application/json', 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/api/auth/') && path !== '/api/me') onUnauthorized();
    const msg = (data as { message?: unknown } | null)?.message;
    throw new ApiError(
      res.status,
      Array.isArray(msg) ? msg.join('; ') : typeof msg === 'string' ? msg : `${res.status} ${res.statusText}`,
    );
  }
  return { data: data as T, res };
}

/** A readable one-liner for any failure, for the status line of a panel. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 403) return `Not permitted (403): ${e.message}`;
    if (e.status === 401) return 'Not logged in (401): please log in again';
    return `${e.status}: ${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}
