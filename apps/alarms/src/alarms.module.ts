import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { nestMqttOptions } from '@cicenns/bus';
import { nestLogger, serviceLogger, type RunningService } from '@cicenns/common';
import { alarmOwnershipOf, alarmSliceOf, SYSTEM_CONFIG, type SystemConfig } from '@cicenns/model';
import { alarmInstance, alarmsClientId, answersRequest } from './runtime/alarm-instance';
import type { RuleEngine } from './contracts';
import { AlarmsMqttServer } from './runtime/alarms-mqtt.server';
import { AlarmsController } from './runtime/alarms.controller';
import { AlarmsService, RULE_ENGINE } from './runtime/alarms.service';
import { DefaultRuleEngine, loadAlarmConfig } from './rules';
import { unknownStatusBits } from './rules/status-bit-check';
import { DAQ_SOURCE } from './rules/subjects';

/** The alarm rules file (files.alarms; loadSystemConfig resolved it against cicenns.yaml's directory). */
export function alarmRulesFile(cfg: SystemConfig): string {
  return cfg.app.files.alarms;
}

/**
 * The rule engine of this alarm process. `cfg` is what it works on: the whole configuration for
 * the single alarm service, its slice (alarmSliceOf) for one partition of several.
 */
export function createRuleEngine(cfg: SystemConfig, full?: SystemConfig): RuleEngine {
  const alarms = loadAlarmConfig(alarmRulesFile(cfg));
  for (const w of unknownStatusBits(cfg, alarms)) serviceLogger('alarms').warn(w);
  const ownership = alarmOwnershipOf(cfg);
  if (ownership.partitions.length === 0) return new DefaultRuleEngine(cfg, alarms);
  const instance = alarmInstance(cfg);
  return new DefaultRuleEngine(cfg, alarms, {
    system: instance === ownership.system,
    slice: true,
    // with the whole configuration at hand, an override matching nothing anywhere is still a typo
    ...(full && { allSubjectIds: subjectIdsOf(full) }),
  });
}

/** Every subject id of a configuration an alarm can be about: PMTs, sensors, crystals, panels, devices, services. */
function subjectIdsOf(cfg: SystemConfig): ReadonlySet<string> {
  const { detector } = cfg;
  return new Set([
    ...detector.pmts.map((p) => p.id),
    ...detector.sensors.map((s) => s.id),
    ...detector.crystals.map((c) => c.id),
    ...detector.panels.map((p) => p.id),
    ...cfg.app.devices.map((d) => d.id),
    DAQ_SOURCE,
    'beam',
    'historian',
    'broker',
  ]);
}

/** What this alarm process works on: its partition's slice of the configuration, or all of it. */
export function alarmConfigOf(full: SystemConfig): SystemConfig {
  return alarmSliceOf(full, alarmInstance(full));
}

@Module({})
export class AlarmsModule {
  static forConfig(cfg: SystemConfig, engine: RuleEngine): DynamicModule {
    return {
      module: AlarmsModule,
      controllers: [AlarmsController],
      providers: [
        { provide: SYSTEM_CONFIG, useValue: cfg },
        { provide: RULE_ENGINE, useValue: engine },
        AlarmsService,
      ],
      exports: [AlarmsService],
    };
  }
}

export interface AlarmService extends RunningService {
  /** how many alarms the rules define (one per rule and channel) */
  readonly alarmCount: number;
}

/**
 * The alarm service, inside a Nest microservice on the MQTT transport: readings and health in
 * (QoS 1, fixed client id, persistent session, so nothing published while it restarts is
 * lost), commands and queries answered on `<topic>/reply` by AlarmsController. Resolves once
 * the broker acknowledged the subscriptions: readings published from then on reach the rules.
 */
export async function startAlarms(full: SystemConfig, engine?: RuleEngine): Promise<AlarmService> {
  // one partition of several: its slice only (alarmSliceOf), so its records are its share
  const cfg = alarmConfigOf(full);
  engine ??= createRuleEngine(cfg, full);
  const { mqtt } = cfg.app;
  const server = new AlarmsMqttServer(
    nestMqttOptions(mqtt, alarmsClientId('alarms', cfg), 'server'),
    answersRequest(cfg),
  );
  const app = await NestFactory.createMicroservice(AlarmsModule.forConfig(cfg, engine), {
    strategy: server,
    logger: nestLogger('alarms'),
  });
  await app.listen();
  await server.subscribed;
  const service = app.get(AlarmsService);
  // the retained approved records arrive right after this SUBACK, before most readings
  await service.calibrationsSubscribed;
  service.reportHealth();
  return {
    get alarmCount() {
      return service.runtime.size;
    },
    // closes the transport, then the service's shutdown hook (runtime, Alertmanager, health, store)
    stop: () => app.close(),
  };
}
