import type { ApiClient } from '../client';

/** The API's largest page of /api/pmts (apps/api: limit <= 1000). */
export const PAGE_LIMIT = 1000;

/**
 * Every item of a paged list (limit/offset): page after page until one comes back short, so a
 * detector of 45,000 PMTs is 45 requests, not a first page taken for the whole.
 */
export async function allPages<T>(
  api: Pick<ApiClient, 'get'>,
  path: string,
  limit = PAGE_LIMIT,
): Promise<T[]> {
  const all: T[] = [];
  const sep = path.includes('?') ? '&' : '?';
  for (let offset = 0; ; offset += limit) {
    const page = await api.get<T[]>(`${path}${sep}limit=${limit}&offset=${offset}`);
    all.push(...page);
    if (page.length < limit) return all;
  }
}
