import { discardSession, instanceSuffix, serviceInstance } from '@cicenns/bus';
import { describeError, serviceLogger, type RunningService } from '@cicenns/common';
import { Topics } from '@cicenns/contracts';
import type { SystemConfig } from '@cicenns/model';
import { DaqConnection } from './daq-connection';
import { IntakeService } from './intake.service';

/** Everything under the DAQ's trees (SPEC 2.3); the validator sorts out what is not the contract. */
const DAQ_TOPICS = Topics.daqIntake;

export interface Intake extends RunningService {
  /** resolves at the broker's first acknowledgement of the DAQ subscriptions */
  readonly subscribed: Promise<void>;
}

/**
 * The intake: its service (validation, forwarding, health) and its DAQ connection (QoS 1
 * subscriptions, a fixed client id and a persistent session, so messages published while it is
 * down are kept by the broker and delivered when it is back). Resolves once the DAQ topics are
 * subscribed, or at once with intake.requireHistorian (they are subscribed once the historian's
 * session exists: await `subscribed` for that).
 */
/** The DAQ side of this intake instance: its session, subscriptions and acknowledgement window. */
function daqConnection(cfg: SystemConfig, service: IntakeService): DaqConnection {
  const { ackWindow, ackIdleMs, batchMaxDelayMs } = cfg.app.intake;
  return new DaqConnection(
    cfg.app.mqtt,
    service,
    DAQ_TOPICS,
    { window: ackWindow, idleMs: ackIdleMs, maxDelayMs: batchMaxDelayMs },
    serviceInstance(cfg.app, 'intake'),
  );
}

export async function startIntake(cfg: SystemConfig): Promise<Intake> {
  const service = new IntakeService(cfg);
  const daq = daqConnection(cfg, service);
  let stopped = false;
  // The DAQ connection first: it acknowledges what was forwarded, then the service flushes,
  // says offline and disconnects. Signals are runMain's.
  const intake: Intake = {
    subscribed: service.subscribed,
    stop: async () => {
      stopped = true;
      await daq.close();
      await service.stop();
    },
  };
  if (!cfg.app.intake.requireHistorian) {
    await daq.open();
    await service.subscribed; // ready only once the broker holds the DAQ's messages for us
    return intake;
  }
  // The DAQ connection (our persistent session) is opened only once the historian's session
  // exists: until then the broker keeps the DAQ's messages for us, and we acknowledge nothing
  // that nobody would store. Health and the publisher connect at once (health says we wait).
  void service.whenHistorianKnown().then(async () => {
    if (stopped) return;
    try {
      await daq.open();
    } catch (e) {
      serviceLogger('intake').error(`could not start the DAQ connection: ${describeError(e)}`);
    }
  });
  return intake;
}

/**
 * `--retire`: take this instance out for good (docs/DEPLOY-SCALE.md "Scaling down"), one of
 * several or the single one when moving to several:
 * what its session still holds is forwarded, the session is ended, so the broker gives its share
 * to the others from now on; then its publisher's session and its retained health go too.
 * Run it with the instance stopped. Resolves to the number of DAQ messages it still took.
 */
export async function retireIntake(cfg: SystemConfig, quietMs = 3000): Promise<number> {
  const inst = serviceInstance(cfg.app, 'intake');
  const service = new IntakeService(cfg);
  const daq = daqConnection(cfg, service);
  const taken = await daq.retire(quietMs);
  await service.retire();
  await discardSession(cfg.app.mqtt, `${cfg.app.mqtt.clientIdPrefix}-${instanceSuffix('intake-out', inst)}`);
  return taken;
}
