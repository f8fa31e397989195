import type { HttpRequest, HttpResponse } from '../http/http-types';
import type { Page } from './pmt-query';

/**
 * X-Total-Count and, while more follow, `Link: <same query, next offset>; rel="next"`: the body
 * stays a plain array, as /api/pmts has always answered.
 */
export function setPageHeaders(
  req: Pick<HttpRequest, 'url'>,
  res: Pick<HttpResponse, 'setHeader'>,
  page: Page<unknown>,
): void {
  res.setHeader('X-Total-Count', String(page.total));
  const next = page.offset + page.items.length;
  if (page.items.length === 0 || next >= page.total) return;
  const url = new URL(req.url ?? '/', 'http://x');
  url.searchParams.set('offset', String(next));
  url.searchParams.set('limit', String(page.limit));
  res.setHeader('Link', `<${url.pathname}${url.search}>; rel="next"`);
}
