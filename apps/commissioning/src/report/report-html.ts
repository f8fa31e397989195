/**
 * The commissioning report as one self-contained HTML file (SPEC 4: "a report that can be signed
 * off"): inline CSS and SVG, no script, no external resource, every string from the run escaped.
 * Prints one PMT per page.
 */
import type { RunView } from '@cicenns/contracts';
import { escapeHtml as e } from './escape';
import {
  confirmations,
  Field,
  header,
  pmtSection,
  PmtSection,
  ReportContext,
  SignOff,
  summaryRows,
} from './report-content';
import { svgDcrScan, svgGainCurve, svgResiduals } from './svg-plots';

const CSS = `
body { font-family: sans-serif; font-size: 13px; color: #111; background: #fff; margin: 1.5em; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 1.6em; } h3 { font-size: 14px; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #999; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
.pass { color: #060; } .fail { color: #a00; font-weight: bold; }
.plots { display: flex; flex-wrap: wrap; gap: 8px; }
.sign td { min-width: 14em; height: 1.8em; }
.verdict { font-style: italic; }
@media print {
  body { margin: 0; font-size: 11px; }
  th { background: none; }
  section.pmt { page-break-before: always; break-before: page; }
  .plots svg { break-inside: avoid; }
}
`;

export function renderReportHtml(run: RunView, ctx: ReportContext): string {
  const parts: string[] = [];
  parts.push(
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
    `<title>${e(`Commissioning report ${run.runId}`)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>${e(`Commissioning report: run ${run.runId}`)}</h1>`,
    fieldsTable(header(run, ctx)),
    '<h2>Manual confirmations</h2>',
    table(
      ['Item', 'Confirmed by', 'When'],
      confirmations(run).map((c) => [c.item, c.by, c.at]),
    ),
    '<h2>Summary</h2>',
    summaryTable(run),
  );
  for (const pmt of run.pmts) parts.push(pmtHtml(pmtSection(pmt)));
  parts.push('</body></html>');
  return parts.join('\n');
}

function summaryTable(run: RunView): string {
  const rows = summaryRows(run).map((r) =>
    row(
      [r.pmt, r.tube, r.state, r.failedStep, r.reason, r.hv, r.gain, r.beta, r.dcr, r.proposal],
      r.state === 'failed' ? 2 : -1,
    ),
  );
  return `<table><thead>${headRow(['PMT', 'Tube', 'State', 'Failed step', 'Reason', 'Proposed HV', 'Gain', 'beta', 'DCR', 'Calibration'])}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function pmtHtml(s: PmtSection): string {
  const parts = [
    `<section class="pmt"><h2>${e(`${s.pmt} (${s.tube}): ${s.state}`)}</h2>`,
    '<h3>Checklist</h3>',
  ];
  const checklist = s.steps.flatMap((step) => {
    const verdict = `<tr><td>${e(step.id)}</td><td class="${stateClass(step.state)}">${e(step.state)}</td><td colspan="4" class="verdict">${e(step.verdict)}</td></tr>`;
    const checks = step.checks.map(
      (c) =>
        `<tr><td></td><td></td><td>${e(c.name)}</td><td>${e(c.value)}</td><td>${e(c.limit)}</td><td class="${c.pass === 'pass' ? 'pass' : 'fail'}">${e(c.pass)}</td></tr>`,
    );
    return [verdict, ...checks];
  });
  parts.push(
    `<table><thead>${headRow(['Step', 'State', 'Check', 'Value', 'Criterion', 'Result'])}</thead><tbody>${checklist.join('')}</tbody></table>`,
  );
  if (s.dcrPoints.length > 0 || s.gainPoints.length > 0) {
    parts.push('<h3>Scans</h3><div class="plots">');
    if (s.dcrPoints.length > 0)
      parts.push(svgDcrScan(s.dcrPoints, { title: `${s.pmt} DCR against HV`, markV: s.fit?.vOp }));
    if (s.gainPoints.length > 0) {
      parts.push(svgGainCurve(s.gainPoints, s.fit, { title: `${s.pmt} gain curve` }));
      parts.push(svgResiduals(s.gainPoints, { title: `${s.pmt} fit residuals` }));
    }
    parts.push('</div>');
  }
  if (s.fitFields.length > 0) parts.push('<h3>Gain fit: G = G0 (V/V0)^beta</h3>', fieldsTable(s.fitFields));
  if (s.comparison.length > 0) {
    parts.push(
      `<h3>${e(`Proposed calibration (version ${s.proposalVersion}) and the one in force before`)}</h3>`,
      table(['Field', 'Proposed', 'Previous'], s.comparison),
    );
  }
  if (s.signOff) parts.push('<h3>Sign-off</h3>', signOffTable(s.signOff));
  parts.push('</section>');
  return parts.join('\n');
}

function signOffTable(s: SignOff): string {
  const rows: Field[] = s.decided
    ? [
        ['Decision', s.state],
        ['By', s.by],
        ['When', s.at],
        ['Comment', s.comment],
      ]
    : [
        ['Decision', 'approved / rejected (not yet decided)'],
        ['By', ''],
        ['When', ''],
        ['Comment', s.comment],
        ['Signature', ''],
      ];
  return `<table class="sign">${rows.map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`).join('')}</table>`;
}

function fieldsTable(fields: Field[]): string {
  return `<table>${fields.map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`).join('')}</table>`;
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead>${headRow(head)}</thead><tbody>${rows.map((r) => row(r)).join('')}</tbody></table>`;
}

function headRow(cells: string[]): string {
  return `<tr>${cells.map((c) => `<th>${e(c)}</th>`).join('')}</tr>`;
}

/** a row; the cell at `stateCell` (if any) coloured as a failure */
function row(cells: string[], stateCell = -1): string {
  return `<tr>${cells.map((c, i) => `<td${i === stateCell ? ' class="fail"' : ''}>${e(c)}</td>`).join('')}</tr>`;
}

function stateClass(state: string): string {
  return state === 'passed' ? 'pass' : state === 'failed' || state === 'aborted' ? 'fail' : '';
}
