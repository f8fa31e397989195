import type { SystemConfig } from '@cicenns/model';
import type { Condition } from '../contracts';
import type { AlarmSubject, Severity, Subsystem } from '@cicenns/contracts';
import {
  alarmConfigError,
  formatGuidance,
  matchesAny,
  resolveRuleParams,
  type AlarmConfig,
  type RuleName,
  type RuleParams,
} from './alarm-config';

/** One rule applied to one subject, with its effective parameters: everything a Condition needs. */
export interface RuleSlot<R extends RuleName = RuleName> {
  alarmId: string;
  /** the alarm's rule name (stale-dcr for the configured rule "stale") */
  rule: string;
  subject: AlarmSubject;
  subsystem: Subsystem;
  params: RuleParams<R>;
  guidance: string;
  /** engine state: the severity last reported, undefined while the condition does not hold */
  severity?: Severity;
  /** engine state: the condition last said "not commissioned: not compared" */
  notCompared?: boolean;
}

/**
 * Builds the slots once, at start-up: resolving overrides per reading would cost a glob match
 * on every one of ~10 readings per second per PMT. Remembers every slot for knownAlarms().
 */
export class RuleSlots {
  readonly all: RuleSlot[] = [];
  private readonly matched = new Set<number>();

  constructor(private readonly alarmCfg: AlarmConfig) {}

  /** The slot, or undefined when the rule is disabled for this subject. */
  make<R extends RuleName>(
    rule: R,
    subject: AlarmSubject,
    subsystem: Subsystem,
    alarmRule: string = rule,
    /** false: judged here but owned by another alarm instance (no record, no condition) */
    owned = true,
  ): RuleSlot<R> | undefined {
    this.alarmCfg.overrides.forEach((o, i) => {
      if (o.rule === rule && matchesAny(o.match, subject.id)) this.matched.add(i);
    });
    const params = resolveRuleParams(this.alarmCfg, rule, subject.id);
    if (!params.enabled) return undefined;
    const slot: RuleSlot<R> = {
      alarmId: `${alarmRule}:${subject.id}`,
      rule: alarmRule,
      subject,
      subsystem,
      params,
      guidance: formatGuidance(params.guidance),
    };
    if (owned) this.all.push(slot as RuleSlot);
    return slot;
  }

  /**
   * After all slots are made: an override or expected-off entry that matches nothing is a typo.
   * `elsewhere`: one alarm partition's check, with every subject id of the whole configuration:
   * an entry that matches none here but one of those is another partition's (by id: the rule is
   * not checked there).
   */
  checkEverythingMatched(cfg: SystemConfig, elsewhere?: ReadonlySet<string>): void {
    const matchesElsewhere = (globs: string | string[]) => {
      if (!elsewhere) return false;
      for (const id of elsewhere) if (matchesAny(globs, id)) return true;
      return false;
    };
    this.alarmCfg.overrides.forEach((o, i) => {
      if (!this.matched.has(i) && !matchesElsewhere(o.match)) {
        throw alarmConfigError(
          this.alarmCfg,
          `overrides[${i}].match`,
          `${JSON.stringify(o.match)} matches no subject of rule ${o.rule}`,
        );
      }
    });
    const pmtIds = cfg.detector.pmts.map((p) => p.id);
    this.alarmCfg.rules['hv-off'].expectedOff.forEach((g, i) => {
      if (!pmtIds.some((id) => matchesAny(g, id)) && !matchesElsewhere(g)) {
        throw alarmConfigError(this.alarmCfg, `rules.hv-off.expectedOff[${i}]`, `"${g}" matches no PMT`);
      }
    });
  }
}

export type KnownAlarm = Pick<Condition, 'alarmId' | 'rule' | 'subject' | 'subsystem' | 'guidance'>;
