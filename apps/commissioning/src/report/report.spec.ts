import {
  buildFullRunView,
  buildRunView,
  failedPmt,
  passedPmt,
} from '../../../../test/support/fixtures/commissioning/run-view';
import { svgElements, xmlProblems } from '../../../../test/support/fixtures/commissioning/well-formed';
import { renderReportHtml } from './report-html';
import { renderReportMarkdown } from './report-markdown';

const ctx = { site: 'SNS basement <lab>', generatedAt: Date.UTC(2024, 5, 11, 12, 0, 0) };
const evil = '<script>alert("x")</script> | pipe';

function twoPmtRun() {
  return buildRunView({
    pmts: [passedPmt('CsI01-A', { decided: 'approved', comment: evil }), failedPmt('CsI01-B')],
  });
}

describe('renderReportHtml', () => {
  const run = twoPmtRun();
  const html = renderReportHtml(run, ctx);
  const passed = run.pmts[0];
  const fit = passed.steps.find((s) => s.kind === 'gain-curve')?.fit;
  const failedVerdict = run.pmts[1].steps.find((s) => s.state === 'failed')?.verdict as string;

  it('has the run header: id, procedure, who started, when, beam at start, target, confirmations', () => {
    expect(html).toContain('Commissioning report: run run-fixture');
    expect(html).toContain('standard: PMT commissioning (SPEC 4)');
    expect(html).toContain('alice from console');
    expect(html).toContain('2024-06-11 08:00:00 UTC');
    expect(html).toContain('off, 0 kW');
    expect(html).toContain('<td>CsI01</td>');
    expect(html).toContain('<td>light-tight</td><td>carol</td><td>2024-06-11 07:59:30 UTC</td>');
    expect(html).toContain('SNS basement &lt;lab&gt;');
  });

  it('summarises each PMT: state, failed step and reason, proposed HV, gain, beta and DCR', () => {
    expect(failedVerdict).toMatch(/^target gain 3.6e6 needs \d+ ± \d+ V, above the channel's vmax 1500 V$/);
    expect(html).toContain(
      `<td class="fail">failed</td><td>gain-curve</td><td>${failedVerdict.replace(/'/g, '&#39;')}</td>`,
    );
    expect(html).toContain(`${Math.round(fit?.vOp as number)} ± ${Math.round(fit?.vOpErr as number)} V`);
    expect(html).toContain('<td>v2 approved</td>');
  });

  it('lists every step with its checks against the criteria, and the fit with errors and chi2/dof', () => {
    expect(html).toContain(
      '<td>vmon while off</td><td>1.2 V</td><td>&lt;= 5 V</td><td class="pass">pass</td>',
    );
    expect(html).toContain(
      '<td>operating voltage</td><td>none</td><td>&lt;= 1500 V</td><td class="fail">FAIL</td>',
    );
    expect(html).toContain('<td>stability</td><td class="">skipped</td>');
    expect(html).toContain(`<th>chi2 / dof</th><td>${fit?.chi2.toFixed(2)} / 4 = `);
    expect(html).toMatch(/<th>beta<\/th><td>7\.\d+ ± 0\.\d+<\/td>/);
    expect(html).toContain('<th>operating voltage</th><td>none within the channel limits</td>');
  });

  it('shows the proposed calibration beside the previous one', () => {
    expect(html).toContain('<td>method</td><td>commissioning</td><td>datasheet</td>');
    expect(html).toMatch(/<td>gain<\/td><td>3\.6e6<\/td><td>3e6<\/td>/);
  });

  it('fills the sign-off from the decision and escapes the untrusted comment', () => {
    expect(html).toContain('<tr><th>Decision</th><td>approved</td></tr><tr><th>By</th><td>bob</td></tr>');
    expect(html).toContain('<tr><th>When</th><td>2024-06-11 09:00:00 UTC</td></tr>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; | pipe');
    expect(html).not.toMatch(/<script/i);
  });

  it('leaves lines to sign when the proposal is undecided', () => {
    const undecided = renderReportHtml(buildRunView(), ctx);
    expect(undecided).toContain('approved / rejected (not yet decided)');
    expect(undecided).toContain('<tr><th>Signature</th><td></td></tr>');
  });

  it('is self-contained: inline CSS with print rules, inline well-formed SVG, no external resource', () => {
    expect(html).toContain('@media print');
    expect(html).toContain('page-break-before: always');
    expect(html).not.toMatch(/\s(src|href)=|url\(|@import|<link|<script|<iframe/i);
    // the only URL is the SVG namespace
    expect(html.match(/https?:\/\/[^"]*/g)?.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
    const svgs = svgElements(html);
    expect(svgs).toHaveLength(6); // DCR scan, gain curve and residuals for each PMT
    for (const svg of svgs) expect(xmlProblems(svg)).toEqual([]);
  });

  it('escapes every string from the run: PMT names, run reason, check names and step ids', () => {
    const hostile = buildRunView();
    hostile.reason = '<img onerror=x>';
    hostile.pmts[0].steps[0].checks![0].name = '<b>t</b>';
    hostile.pmts[0].steps[0].id = '"><svg onload=x>';
    hostile.confirmations[0].by = '<i>mallory</i>';
    const out = renderReportHtml(hostile, ctx);
    expect(out).not.toMatch(/<img|<b>|<i>|onload=x>/);
    expect(out).toContain('&lt;img onerror=x&gt;');
    expect(out).toContain('&lt;i&gt;mallory&lt;/i&gt;');
  });

  it('stays a few MB for a run of 94 PMTs, and bounds a huge comment', () => {
    const full = buildFullRunView();
    full.pmts[0].proposal!.comment = 'x'.repeat(5_000_000);
    const t0 = Date.now();
    const out = renderReportHtml(full, ctx);
    const ms = Date.now() - t0;
    expect(full.pmts).toHaveLength(94);
    expect(Buffer.byteLength(out)).toBeLessThan(3_000_000);
    expect(svgElements(out)).toHaveLength(94 * 3);
    expect(ms).toBeLessThan(5000);
  });
});

describe('renderReportMarkdown', () => {
  const run = twoPmtRun();
  const md = renderReportMarkdown(run, ctx);

  it('has the header, the summary and per PMT the checklist, scan data, fit, proposal and sign-off', () => {
    expect(md).toContain('# Commissioning report: run run-fixture');
    expect(md).toContain('| Started by | alice from console |');
    expect(md).toMatch(
      /\| CsI01-B \| crystal R877-100 \| failed \| gain-curve \| target gain 3\.6e6 needs \d+ ± \d+ V/,
    );
    expect(md).toContain('| | | vmon while off | 1.2 V | &lt;= 5 V | pass |'.replace('| | |', '|  |  |'));
    expect(md).toContain('_Plotted in the HTML report._');
    expect(md).toMatch(/\| 1400 \| 29\d\d \| \d+\.\d+ \| 2 \|/);
    expect(md).toContain('| chi2 / dof |');
    expect(md).toContain('| method | commissioning | datasheet |');
    expect(md).toContain('| By | bob |');
  });

  it('escapes the untrusted comment for a table cell (no HTML, no pipe)', () => {
    expect(md).toContain('&lt;script&gt;alert("x")&lt;/script&gt; \\| pipe');
    expect(md).not.toMatch(/<script/i);
  });

  it('leaves blanks to sign when undecided, and stays small for 94 PMTs', () => {
    expect(renderReportMarkdown(buildRunView(), ctx)).toContain('| Signature | \\_\\_\\_');
    expect(Buffer.byteLength(renderReportMarkdown(buildFullRunView(), ctx))).toBeLessThan(1_000_000);
  });
});
