/**
 * The commissioning report as Markdown: the same content as the HTML report, the plots as data
 * tables (the HTML report has them drawn). Every string from the run is escaped for a table cell.
 */
import type { RunView, ScanPoint } from '@cicenns/contracts';
import { formatSci } from '../analysis/format';
import { escapeMarkdownCell as m } from './escape';
import { confirmations, header, pmtSection, PmtSection, ReportContext, summaryRows } from './report-content';

export function renderReportMarkdown(run: RunView, ctx: ReportContext): string {
  const out: string[] = [];
  out.push(`# Commissioning report: run ${m(run.runId)}`, '', table(['', ''], header(run, ctx)), '');
  out.push(
    '## Manual confirmations',
    '',
    table(
      ['Item', 'Confirmed by', 'When'],
      confirmations(run).map((c) => [c.item, c.by, c.at]),
    ),
    '',
  );
  out.push(
    '## Summary',
    '',
    table(
      ['PMT', 'Tube', 'State', 'Failed step', 'Reason', 'Proposed HV', 'Gain', 'beta', 'DCR', 'Calibration'],
      summaryRows(run).map((r) => [
        r.pmt,
        r.tube,
        r.state,
        r.failedStep,
        r.reason,
        r.hv,
        r.gain,
        r.beta,
        r.dcr,
        r.proposal,
      ]),
    ),
    '',
  );
  for (const pmt of run.pmts) out.push(...pmtMarkdown(pmtSection(pmt)));
  return out.join('\n');
}

function pmtMarkdown(s: PmtSection): string[] {
  const out = [`## ${m(`${s.pmt} (${s.tube}): ${s.state}`)}`, '', '### Checklist', ''];
  const rows = s.steps.flatMap((step) => [
    [step.id, step.state, '', '', '', step.verdict],
    ...step.checks.map((c) => ['', '', c.name, c.value, c.limit, c.pass]),
  ]);
  out.push(table(['Step', 'State', 'Check', 'Value', 'Criterion', 'Result / verdict'], rows), '');
  if (s.dcrPoints.length > 0) {
    out.push('### DCR against HV', '', '_Plotted in the HTML report._', '');
    out.push(
      table(
        ['HV (V)', 'DCR (Hz)', '± (Hz)', 'settle attempts'],
        s.dcrPoints.map((p) => [n(p.v), n(p.rateHz), n(p.rateErrHz), n(p.attempts)]),
      ),
      '',
    );
  }
  if (s.gainPoints.length > 0) {
    out.push('### Gain curve', '', '_Plotted with the fit and its residuals in the HTML report._', '');
    out.push(table(['HV (V)', 'gain', '±', 'nSpe', 'residual (σ)'], s.gainPoints.map(gainRow)), '');
  }
  if (s.fitFields.length > 0)
    out.push('### Gain fit: G = G0 (V/V0)^beta', '', table(['', ''], s.fitFields), '');
  if (s.comparison.length > 0) {
    out.push(
      `### Proposed calibration (version ${s.proposalVersion}) and the one in force before`,
      '',
      table(['Field', 'Proposed', 'Previous'], s.comparison),
      '',
    );
  }
  if (s.signOff) {
    const o = s.signOff;
    const blank = '\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_';
    const rows = o.decided
      ? [
          ['Decision', o.state],
          ['By', o.by],
          ['When', o.at],
          ['Comment', o.comment],
        ]
      : [
          ['Decision', 'approved / rejected (not yet decided)'],
          ['By', blank],
          ['When', blank],
          ['Comment', o.comment || blank],
          ['Signature', blank],
        ];
    // the blanks are Markdown already: escape only what came from the run
    out.push(
      '### Sign-off',
      '',
      tableRaw(
        ['', ''],
        rows.map(([k, v]) => [k, v === blank ? v : m(v)]),
      ),
      '',
    );
  }
  return out;
}

function gainRow(p: ScanPoint): string[] {
  return [n(p.v), n(p.gain), n(p.gainErr), n(p.nSpe), p.residual === undefined ? '' : p.residual.toFixed(2)];
}

function n(x: number | undefined): string {
  return x === undefined ? '' : formatSci(x, 3);
}

function table(head: string[], rows: string[][]): string {
  return tableRaw(
    head.map(m),
    rows.map((r) => r.map(m)),
  );
}

function tableRaw(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
