import { extraRegisters, hvProfileOf, type SystemConfig } from '@cicenns/model';
import { BadRequestException, ServiceUnavailableException } from '@nestjs/common';
import { planTrend, trendPoints, type TrendsQuery } from './trends-query';

/** Trends from InfluxDB through the v1 /query API (1.x, 2.x and 3.x all serve it). */
export class TrendsService {
  constructor(private readonly cfg: SystemConfig) {}

  async query(q: TrendsQuery) {
    const plan = planTrend(q, this.cfg.detector, Date.now(), (id) =>
      extraRegisters(hvProfileOf(this.cfg, id)),
    );
    if (typeof plan === 'string') throw new BadRequestException(plan);
    const influx = this.cfg.app.influx;
    if (!influx.url) throw new ServiceUnavailableException('no InfluxDB configured (influx.url): no history');
    const params = new URLSearchParams({ db: influx.database, q: plan.influxql, epoch: 'ms' });
    if (influx.username) params.set('u', influx.username);
    if (influx.password) params.set('p', influx.password);
    let body: unknown;
    try {
      const res = await fetch(`${influx.url.replace(/\/$/, '')}/query?${params}`, {
        signal: AbortSignal.timeout(10_000),
      });
      body = await res.json();
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${(body as { error?: string }).error ?? ''}`);
      return {
        measurement: plan.measurement,
        field: plan.field,
        subject: plan.subject,
        unit: plan.unit,
        from: plan.from,
        to: plan.to,
        intervalMs: plan.intervalMs,
        points: trendPoints(body),
      };
    } catch (err) {
      throw new ServiceUnavailableException(`InfluxDB query failed: ${(err as Error).message}`);
    }
  }
}
