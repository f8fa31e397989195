import { describeError, errorSummary, RateLimitedLog } from '@cicenns/common';
import { rejectionNotice, truncate, type Reading, type RejectionNotice } from '@cicenns/contracts';
import type { ValidationResult } from './daq-validator';
import type { DeadLetterStore } from './dead-letters';
import { INTERNAL_ERROR, type IntakeStats } from './intake-stats';

/** What turns a DAQ message into readings or rejections (DaqValidator; a throwing one in tests). */
export interface MessageValidator {
  validate(topic: string, payload: Buffer | string, now?: number): ValidationResult;
}

export interface DaqHandlerParts {
  validator: MessageValidator;
  /** where the accepted readings go (the ReadingPublisher) */
  readings: { add(readings: Reading[]): void };
  stats: IntakeStats;
  /** messages that could not be handled are kept here */
  deadLetters?: Pick<DeadLetterStore, 'add'>;
  /** one bounded summary per refused or failed message (cicenns/sc/intake/rejects) */
  notify?: (n: RejectionNotice) => void;
  warn: (line: string) => void;
}

/**
 * One DAQ message in, readings or a counted rejection out; never throws. An exception while
 * handling a message (a validator bug such as `toISOString` on 1e308, a publisher failing) is
 * that message's failure alone: counted as internal_error, logged (rate-limited), set aside in
 * the dead-letter table and acknowledged like any other, so it is neither redelivered for ever
 * nor able to end the intake or stall its subscription.
 */
export class DaqHandler {
  private readonly rejectLog: RateLimitedLog;
  private readonly errorLog: RateLimitedLog;
  internalErrors = 0;

  constructor(private readonly parts: DaqHandlerParts) {
    this.rejectLog = new RateLimitedLog(parts.warn);
    this.errorLog = new RateLimitedLog(parts.warn);
  }

  handle(topic: string, payload: Buffer | string): void {
    const { stats } = this.parts;
    stats.received++;
    let result: ValidationResult;
    try {
      result = this.parts.validator.validate(topic, payload);
    } catch (err) {
      this.failed(topic, payload, err);
      return;
    }
    try {
      const problem = stats.record(result);
      if (problem) this.rejectLog.say(`${truncate(topic, 200)}: ${problem}`);
      if (result.outcome === 'rejected') {
        const r = result.rejection;
        this.notify({ topic, reason: r.reason, detail: r.detail });
      } else if (result.outcome === 'accepted') {
        const first = result.entryRejections[0];
        if (first)
          this.notify({
            topic,
            reason: first.reason,
            detail: `${result.entryRejections.length} entries refused, first: ${first.detail}`,
          });
        this.parts.readings.add(result.readings);
      }
    } catch (err) {
      this.failed(topic, payload, err);
    }
  }

  private failed(topic: string, payload: Buffer | string, err: unknown): void {
    this.internalErrors++;
    this.parts.stats.internalError();
    const what = errorSummary(err);
    let deadLetterId: number | undefined;
    try {
      deadLetterId = this.parts.deadLetters?.add(topic, payload, INTERNAL_ERROR, describeError(err));
    } catch (e) {
      this.errorLog.say(`could not keep a dead letter: ${errorSummary(e)}`);
    }
    const stack = err instanceof Error && err.stack ? `\n${truncate(err.stack, 2000)}` : '';
    this.errorLog.say(
      `could not handle a message on ${truncate(topic, 200)}, acknowledged and kept as dead letter ` +
        `${deadLetterId ?? '(not kept)'}: ${truncate(what, 500)}${stack}`,
    );
    this.notify({ topic, reason: INTERNAL_ERROR, detail: what, deadLetterId });
  }

  private notify(n: Omit<RejectionNotice, 'ts' | 'service'>): void {
    if (!this.parts.notify) return;
    try {
      this.parts.notify(rejectionNotice({ ts: Date.now(), service: 'intake', ...n }));
    } catch {
      /* a notice is diagnostics: losing one must not fail the message */
    }
  }
}
