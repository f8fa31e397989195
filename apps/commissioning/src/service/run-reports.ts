import { describeError, type ServiceLogger } from '@cicenns/common';
import type { RunView } from '@cicenns/contracts';
import type { CommissioningStore, StoredReport } from '../store/commissioning-store';

export type ReportFormat = 'html' | 'md';
export type ReportRenderer = (run: RunView, ctx: { site: string; generatedAt: number }) => string;

/**
 * A run's reports (HTML and Markdown): written when the run ends and again after every decision
 * on its proposals (the sign-off fields), stored and listed. A run still going is rendered on
 * request and not stored.
 */
export class RunReports {
  constructor(
    private readonly store: CommissioningStore,
    private readonly renderers: Record<ReportFormat, ReportRenderer>,
    private readonly site: string,
    private readonly log: ServiceLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Render and store both formats; a renderer failing is logged, never thrown. */
  write(view: RunView): void {
    const generatedAt = this.now();
    for (const format of ['html', 'md'] as const) {
      try {
        const content = this.renderers[format](view, { site: this.site, generatedAt });
        this.store.saveReport({ runId: view.runId, format, generatedAt, content });
      } catch (err) {
        this.log.error(`run ${view.runId}: ${format} report failed: ${describeError(err)}`);
      }
    }
  }

  /** The stored report, or one rendered now for a run that has none yet. */
  get(view: RunView, format: ReportFormat): StoredReport {
    const stored = this.store.report(view.runId, format);
    if (stored && (view.state === 'finished' || view.state === 'aborted')) return stored;
    const generatedAt = this.now();
    const content = this.renderers[format](view, { site: this.site, generatedAt });
    return { runId: view.runId, format, generatedAt, bytes: Buffer.byteLength(content), content };
  }
}
