// prefixes shared by the builders below and the receivers' startsWith checks
const READINGS = 'cicenns/sc/readings/';
const HEALTH = 'cicenns/sc/health/';
const ALARMS = 'cicenns/sc/alarms/';
const ALARM_STATE = `${ALARMS}state/`;
const MEASURE = 'cicenns/daq/cmd/measure';
const CALIBRATION = 'cicenns/sc/calibration/';
const COMMISSIONING = 'cicenns/sc/commissioning/';

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
    /** one PMT's topics and one crystal's (the DAQ publishes them, the intake routes them) */
    pmtDcrOf: (pmt: string) => `cicenns/daq/pmt/${pmt}/dcr`,
    pmtGainOf: (pmt: string) => `cicenns/daq/pmt/${pmt}/gain`,
    coincidenceOf: (crystal: string) => `cicenns/daq/crystal/${crystal}/coincidence`,
    /** their shapes, the PMT or crystal captured: the intake tells an unknown PMT from an unknown topic */
    pmtTopicPattern: /^cicenns\/daq\/pmt\/([^/]+)\/(dcr|gain)$/,
    coincidenceTopicPattern: /^cicenns\/daq\/crystal\/([^/]+)\/coincidence$/,
    /** SPEC 2.4: measurement requests and results, for the commissioning service, not the intake */
    commissioningTopicPattern: /^cicenns\/daq\/cmd(\/|$)/,
  },
  /** SPEC 2.4: commissioning service -> DAQ requests, DAQ -> commissioning status and result */
  measure: {
    request: MEASURE,
    status: (requestId: string) => `${MEASURE}/${requestId}/status`,
    result: (requestId: string) => `${MEASURE}/${requestId}/result`,
    /** what the commissioning service subscribes to: every request's status and result */
    answers: [`${MEASURE}/+/status`, `${MEASURE}/+/result`],
    /** the request id and which answer, from a status or result topic */
    answerPattern: /^cicenns\/daq\/cmd\/measure\/([^/]+)\/(status|result)$/,
  },
  /** approved calibration records, retained per PMT (calibration.ts) */
  calibration: {
    record: (pmt: string) => `${CALIBRATION}${pmt}`,
    all: `${CALIBRATION}+`,
    prefix: CALIBRATION,
  },
  /**
   * Commissioning service: commands and queries (Nest request/response, reply on
   * `<topic>/reply`; commissioning.ts)
   */
  commissioning: {
    prefix: COMMISSIONING,
    cmd: {
      start: `${COMMISSIONING}cmd/start`,
      pause: `${COMMISSIONING}cmd/pause`,
      resume: `${COMMISSIONING}cmd/resume`,
      abort: `${COMMISSIONING}cmd/abort`,
      confirm: `${COMMISSIONING}cmd/confirm`,
      approve: `${COMMISSIONING}cmd/approve`,
      reject: `${COMMISSIONING}cmd/reject`,
    },
    query: {
      procedures: `${COMMISSIONING}query/procedures`,
      runs: `${COMMISSIONING}query/runs`,
      run: `${COMMISSIONING}query/run`,
      report: `${COMMISSIONING}query/report`,
      reports: `${COMMISSIONING}query/reports`,
      calibration: `${COMMISSIONING}query/calibration`,
    },
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
  readings: (service: string) => `${READINGS}${service}`,
  readingsAll: `${READINGS}#`,
  /** for startsWith: every readings topic begins with this */
  readingsPrefix: READINGS,
  /** retained health of each service: cicenns/sc/health/<service> */
  health: (service: string) => `${HEALTH}${service}`,
  healthAll: `${HEALTH}+`,
  /** for startsWith: the service's name follows it */
  healthPrefix: HEALTH,
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
    /** every alarm topic; of these the alarm service receives only its commands and queries */
    prefix: ALARMS,
    state: (alarmId: string) => `${ALARM_STATE}${alarmId}`,
    stateAll: `${ALARM_STATE}#`,
    /** for startsWith: the alarm id follows it */
    statePrefix: ALARM_STATE,
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
