import type { ServerResponse } from 'node:http';
import type { ReportDocument } from './commissioning.service';

/**
 * A report is a document written from measured values and people's comments, opened in the
 * browser beside the console: it may show its own inline styles and SVG, and nothing else runs or
 * loads (no script, no request, no form, not framed; sandboxed as an opaque origin).
 */
export const REPORT_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  'sandbox',
].join('; ');

const TYPES = { html: 'text/html; charset=utf-8', md: 'text/markdown; charset=utf-8' } as const;

/** `commissioning-<run>.html`: the run id's characters that a file name may not hold become '-'. */
export function reportFileName(runId: string, format: 'html' | 'md'): string {
  return `commissioning-${runId.replace(/[^A-Za-z0-9._-]/g, '-')}.${format}`;
}

/** The report as a file: HTML opens in the browser (inline), Markdown downloads (attachment). */
export function sendReport(res: ServerResponse, doc: ReportDocument): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', TYPES[doc.format]);
  res.setHeader('Content-Security-Policy', REPORT_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader(
    'Content-Disposition',
    `${doc.format === 'html' ? 'inline' : 'attachment'}; filename="${reportFileName(doc.runId, doc.format)}"`,
  );
  res.end(doc.content);
}
