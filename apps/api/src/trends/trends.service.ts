import { extraRegisters, hvProfileOf, hvSetValueFields, type SystemConfig } from '@cicenns/model';
import { BadRequestException, ServiceUnavailableException } from '@nestjs/common';
import type { RecentHistory } from './recent-history';
import { planTierReads, stitch } from './trend-tiers';
import { planTrend, trendPoints, type TrendPlan, type TrendsQuery } from './trends-query';

/**
 * Trends from InfluxDB through the v1 /query API (1.x, 2.x and 3.x all serve it), from the raw
 * or the aggregate retention tier or both by the time range (trend-tiers.ts); without
 * InfluxDB (influx.url empty), from the API's in-memory recent history, same answer.
 */
export class TrendsService {
  /** fields the historian stores on change (read as held values: trend-tiers.ts) */
  private readonly setValues: Set<string>;

  constructor(
    private readonly cfg: SystemConfig,
    private readonly recent?: RecentHistory,
  ) {
    this.setValues = hvSetValueFields(cfg.profiles.values());
  }

  async query(q: TrendsQuery) {
    const plan = planTrend(q, this.cfg.detector, Date.now(), (id) =>
      extraRegisters(hvProfileOf(this.cfg, id)),
    );
    if (typeof plan === 'string') throw new BadRequestException(plan);
    const influx = this.cfg.app.influx;
    if (plan.measurement === 'hv' && influx.setValuesKeyframeMs > 0 && this.setValues.has(plan.field))
      plan.heldMs = influx.setValuesKeyframeMs;
    if (!influx.url) {
      if (!this.recent)
        throw new ServiceUnavailableException('no InfluxDB configured (influx.url): no history');
      return this.fromRecent(plan, this.recent);
    }
    const { intervalMs, reads } = planTierReads(plan, influx, Date.now());
    try {
      const points = await Promise.all(reads.map((r) => this.read(r.influxql)));
      return answer(
        plan,
        intervalMs,
        stitch(reads, points),
        reads.map(({ tier, policy, from, to }) => ({ tier, policy, from, to })),
      );
    } catch (err) {
      throw new ServiceUnavailableException(`InfluxDB query failed: ${(err as Error).message}`);
    }
  }

  private async read(influxql: string): Promise<[number, number | null][]> {
    const influx = this.cfg.app.influx;
    const params = new URLSearchParams({ db: influx.database, q: influxql, epoch: 'ms' });
    if (influx.username) params.set('u', influx.username);
    if (influx.password) params.set('p', influx.password);
    const res = await fetch(`${influx.url.replace(/\/$/, '')}/query?${params}`, {
      signal: AbortSignal.timeout(10_000),
    });
    const body: unknown = await res.json();
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${(body as { error?: string }).error ?? ''}`);
    return trendPoints(body);
  }

  /**
   * The recent history keeps one mean per bucket: an interval shorter than a bucket would leave
   * most intervals empty, so the answer's interval is at least a bucket (fewer points, never more).
   */
  private fromRecent(plan: TrendPlan, recent: RecentHistory) {
    const intervalMs = Math.max(plan.intervalMs, recent.bucketMs);
    const points = recent.query(
      plan.measurement,
      plan.subject,
      plan.field,
      { ...plan, intervalMs },
      Date.now(),
    );
    return answer(plan, intervalMs, points, [
      { tier: 'memory', policy: 'api.recentHistory', from: plan.from, to: plan.to },
    ]);
  }
}

/** Where the answer's points came from, in time order: InfluxDB tiers, or the API's memory. */
type TierUsed = { tier: 'raw' | 'aggregate' | 'memory'; policy: string; from: number; to: number };

function answer(plan: TrendPlan, intervalMs: number, points: [number, number | null][], tiers: TierUsed[]) {
  return {
    measurement: plan.measurement,
    field: plan.field,
    subject: plan.subject,
    unit: plan.unit,
    from: plan.from,
    to: plan.to,
    intervalMs,
    tiers,
    points,
  };
}
