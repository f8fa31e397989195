/**
 * MQTT topics. `cicenns/daq/...` and `cicenns/beam/...` come from outside (SPEC 2.3);
 * `cicenns/sc/...` are between our own services (docs/ARCHITECTURE.md).
 */
export const Topics = {
  daq: {
    pmtDcr: 'cicenns/daq/pmt/+/dcr',
    sweepDcr: 'cicenns/daq/dcr',
    pmtGain: 'cicenns/daq/pmt/+/gain',
    coincidence: 'cicenns/daq/crystal/+/coincidence',
    beam: 'cicenns/beam/status',
  },
  /**
   * What the intake subscribes to: the whole of both trees, so that a topic near the contract
   * (`.../DCR`, `.../dcr/extra`, `cicenns/daq/beam/status`) is a counted unknown_topic reject
   * instead of never being seen. Two patterns that do not overlap: a message matching two
   * subscriptions of one client may be delivered twice. `cicenns/daq/cmd/#` (SPEC 2.4) arrives
   * too and is ignored by the intake (counted as ignored).
   */
  daqIntake: ['cicenns/daq/#', 'cicenns/beam/#'],
  /** normalized readings, batched: cicenns/sc/readings/<service> */
  readings: (service: string) => `cicenns/sc/readings/${service}`,
  readingsAll: 'cicenns/sc/readings/#',
  /** retained health of each service: cicenns/sc/health/<service> */
  health: (service: string) => `cicenns/sc/health/${service}`,
  healthAll: 'cicenns/sc/health/+',
  /**
   * One summary per DAQ message the intake refused or could not handle (RejectionNotice),
   * not retained; the API keeps the last few for experts (GET /api/intake/rejects).
   */
  intakeRejects: 'cicenns/sc/intake/rejects',
  /**
   * Mosquitto's count of messages it dropped since it started (a subscriber's queue full at
   * max_queued_messages, or over max_queued_bytes), published every sys_interval, retained.
   */
  brokerDropped: '$SYS/broker/publish/messages/dropped',
  /** alarm service: retained state per alarm, the journal stream, commands and queries */
  alarms: {
    state: (alarmId: string) => `cicenns/sc/alarms/state/${alarmId}`,
    stateAll: 'cicenns/sc/alarms/state/#',
    events: 'cicenns/sc/alarms/events',
    cmd: {
      ack: 'cicenns/sc/alarms/cmd/ack',
      shelve: 'cicenns/sc/alarms/cmd/shelve',
      unshelve: 'cicenns/sc/alarms/cmd/unshelve',
      disable: 'cicenns/sc/alarms/cmd/disable',
      enable: 'cicenns/sc/alarms/cmd/enable',
    },
    query: {
      list: 'cicenns/sc/alarms/query/list',
      journal: 'cicenns/sc/alarms/query/journal',
      tree: 'cicenns/sc/alarms/query/tree',
    },
  },
  /**
   * HV control, API -> poller, Nest MQTT request/response (reply on `<topic>/reply`): one
   * register of one PMT's channel, written, read back and verified by the poller.
   */
  hv: {
    cmd: { write: 'cicenns/sc/hv/cmd/write' },
  },
  /** simulator fault injection (JSON command) */
  simFault: 'cicenns/sim/fault',
} as const;
