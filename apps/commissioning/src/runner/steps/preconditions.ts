import type { StepCheck } from '@cicenns/contracts';
import type { StepParams } from '@cicenns/model';
import { StepFailed, type StepEnv, type StepOutcome } from '../step-env';

/** SPEC 2.1 status bit 8: the channel is disabled by the interlock */
const INTERLOCK_BIT = 8;

/**
 * Before any voltage: the crate answers (a recent HV reading), the channel is off, no interlock,
 * the PMT's temperature within range, the beam state recorded, the manual items confirmed (the
 * run waited for them before any PMT started). Reads only: a failure here touches nothing.
 */
export async function preconditions(env: StepEnv<StepParams<'preconditions'>>): Promise<StepOutcome> {
  const p = env.params;
  const checks: StepCheck[] = [];
  // just started (no reading yet): the poller's next one comes within the allowed age
  const hv =
    env.state.hv(env.pmt.id) ??
    (await env.state
      .waitForHv(env.pmt.id, () => true, p.maxReadingAgeS * 1000, env.signal)
      .catch(() => undefined));
  const now = env.now();
  const ageS = hv ? (now - hv.receivedAt) / 1000 : null;
  checks.push({
    name: 'crate reachable (HV reading age)',
    value: ageS === null ? null : Math.round(ageS * 10) / 10,
    limit: `<= ${p.maxReadingAgeS} s, quality good`,
    unit: 's',
    pass: !!hv && hv.quality === 'good' && ageS! <= p.maxReadingAgeS,
  });
  const vmon = hv?.vmon ?? null;
  checks.push({
    name: 'channel off (power, VMon)',
    value: hv ? `power ${hv.power ?? '?'}, VMon ${vmon ?? '?'} V` : null,
    limit: `power 0 and VMon < ${p.maxOffVmonV} V`,
    pass: !!hv && hv.power === 0 && vmon !== null && vmon < p.maxOffVmonV,
  });
  const interlock = hv?.status !== undefined ? ((hv.status >> INTERLOCK_BIT) & 1) === 1 : null;
  checks.push({
    name: 'no interlock (status bit 8)',
    value: interlock,
    limit: 'bit 8 clear',
    pass: interlock === false,
  });
  const t = env.pmt.sensorId ? await firstTemperature(env, env.pmt.sensorId, p.maxReadingAgeS) : undefined;
  const [tMin, tMax] = p.temperatureC;
  checks.push({
    name: `temperature (${env.pmt.sensorId ?? 'no sensor'})`,
    value: t ? Math.round(t.valueC * 100) / 100 : null,
    limit: `${tMin}..${tMax} °C`,
    unit: '°C',
    pass: !!t && t.valueC >= tMin && t.valueC <= tMax,
  });
  const beam = env.state.beam();
  checks.push({
    name: 'beam state recorded',
    value: beam ? `${beam.on ? 'on' : 'off'}, ${beam.power_kw} kW` : 'unknown (no beam reading)',
    limit: 'recorded',
    pass: true,
  });
  const confirmed = new Map(env.confirmations().map((c) => [c.item, c.by]));
  for (const item of p.manual)
    checks.push({
      name: `confirmed: ${item}`,
      value: confirmed.get(item) ?? null,
      limit: 'confirmed by a named person',
      pass: confirmed.has(item),
    });
  const failed = checks.filter((c) => !c.pass);
  if (failed.length > 0)
    throw new StepFailed(
      failed.map((c) => `${c.name}: ${c.value ?? 'none'}, needs ${c.limit}`).join('; '),
      checks,
    );
  return {
    verdict: `channel off, crate reachable, ${checks[3].value} °C, beam ${checks[4].value}`,
    checks,
  };
}

/** The sensor's temperature; just after a start, the first reading may take up to maxAgeS. */
async function firstTemperature(env: StepEnv, sensorId: string, maxAgeS: number) {
  const until = env.now() + maxAgeS * 1000;
  let t = env.state.temperature(sensorId);
  while (!t && env.now() < until) {
    await env.sleep(100);
    t = env.state.temperature(sensorId);
  }
  return t;
}
