import type { ServiceLogger } from '@cicenns/common';
import { calibrationMessageSchema, Topics, type ProposalView } from '@cicenns/contracts';
import type { CalibrationRecord, Detector } from '@cicenns/model';
import type { MqttClient } from 'mqtt';
import type { CommissioningStore, ProposalRecord } from '../store/commissioning-store';
import { proposalView } from '../runner/run-view';

/** A PMT's calibration versions: the seed records and the approved ones, and every proposal. */
export interface CalibrationHistory {
  pmt: string;
  /** the version in force now */
  current?: CalibrationRecord;
  /** oldest first: calibration.yaml's and the approved ones of commissioning */
  records: CalibrationRecord[];
  proposals: ProposalView[];
}

/**
 * Proposed calibrations and the experts' decisions. Approving sets validFrom, approvedBy and
 * approvedAt, stores it, adds it to our Detector and publishes it retained on
 * Topics.calibration.record(pmt), so every service uses it at once; rejecting stores the
 * comment and publishes nothing. The previous versions stay.
 */
export class CalibrationBook {
  constructor(
    private readonly store: CommissioningStore,
    private readonly detector: Detector,
    private readonly client: MqttClient,
    private readonly log: ServiceLogger,
    private readonly now: () => number = Date.now,
  ) {
    // approved records of earlier runs are versions of our detector too
    for (const p of store.proposalsOfPmt()) if (p.state === 'approved') detector.addCalibration(p.record);
  }

  /** The next version of a PMT: above every known record and every proposal. */
  nextVersion(pmt: string): number {
    const known = this.detector.calibrationHistory(pmt).map((r) => r.version);
    return Math.max(0, ...known, this.store.maxProposedVersion(pmt)) + 1;
  }

  /**
   * Decide the proposals of a run still open (all, or those of the PMTs named). A PMT named
   * without an open proposal in this run is refused before anything is decided.
   */
  decide(
    runId: string,
    decision: 'approved' | 'rejected',
    who: { user: string; comment?: string },
    pmts?: string[],
  ): ProposalRecord[] {
    const open = this.store.proposalsOfRun(runId).filter((p) => p.state === 'proposed');
    const chosen = pmts?.length ? open.filter((p) => pmts.includes(p.pmt)) : open;
    const missing = (pmts ?? []).filter((id) => !open.some((p) => p.pmt === id));
    if (missing.length > 0) throw new Error(`no open proposal of ${missing.join(', ')} in run ${runId}`);
    if (chosen.length === 0) throw new Error(`run ${runId} has no open proposal to decide`);
    const at = this.now();
    const iso = new Date(at).toISOString();
    const decided = chosen.map((p): ProposalRecord => {
      const record: CalibrationRecord =
        decision === 'approved'
          ? { ...p.record, validFrom: iso, approvedBy: who.user, approvedAt: iso }
          : p.record;
      return { ...p, record, state: decision, decidedBy: who.user, decidedAt: at, comment: who.comment };
    });
    this.store.transaction(() => {
      for (const p of decided) {
        this.store.saveProposal(p);
        this.store.event({
          runId,
          ts: at,
          kind: decision === 'approved' ? 'approve' : 'reject',
          pmt: p.pmt,
          detail: { version: p.version, by: who.user, comment: who.comment },
        });
      }
    });
    if (decision === 'approved')
      for (const p of decided) {
        this.detector.addCalibration(p.record);
        this.publish(p.record);
      }
    this.log.log(
      `run ${runId}: ${decided.length} proposals ${decision} by ${who.user}: ${decided.map((p) => `${p.pmt} v${p.version}`).join(', ')}`,
    );
    return decided;
  }

  /** At start-up: the latest approved record of every PMT again (retained, QoS 1). */
  publishApproved(): number {
    const latest = new Map<string, CalibrationRecord>();
    for (const p of this.store.proposalsOfPmt())
      if (p.state === 'approved' && (latest.get(p.pmt)?.version ?? 0) < p.version)
        latest.set(p.pmt, p.record);
    for (const r of latest.values()) this.publish(r);
    return latest.size;
  }

  history(pmt?: string): CalibrationHistory[] {
    const ids = pmt ? [pmt] : this.detector.pmts.map((p) => p.id);
    return ids.map((id) => ({
      pmt: id,
      current: this.detector.currentCalibration(id, this.now()),
      records: this.detector.calibrationHistory(id),
      proposals: this.store.proposalsOfPmt(id).map(proposalView),
    }));
  }

  private publish(record: CalibrationRecord): void {
    const message = calibrationMessageSchema.parse({ record });
    this.client.publish(
      Topics.calibration.record(record.pmt),
      JSON.stringify(message),
      { qos: 1, retain: true },
      (err) => {
        if (err)
          this.log.error(`calibration ${record.pmt} v${record.version}: not published: ${err.message}`);
      },
    );
  }
}
