/** Every string from a run (names, comments, verdicts) is untrusted: escaped before markup. */
export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** a table cell of Markdown: no pipe, no line break, no HTML (a viewer may render it) */
export function escapeMarkdownCell(s: unknown): string {
  return String(s ?? '')
    .replace(/\r?\n/g, ' ')
    .replace(/[\\|`*_[\]<>&]/g, (c) =>
      c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`,
    );
}

/** bounded text: a comment or verdict of megabytes must not make the report so */
export function clip(s: unknown, max = 2000): string {
  const text = String(s ?? '');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
