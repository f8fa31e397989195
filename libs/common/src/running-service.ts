/**
 * What every `start<Service>(config)` resolves to once the service is ready (its readiness rule:
 * docs/ARCHITECTURE.md "Why it is built this way"): the service runs until stop() resolves,
 * having drained what it holds. A service adds what its callers need (the intake's
 * `subscribed`, the alarm service's `alarmCount`, the simulator's `httpUrl`).
 */
export interface RunningService {
  stop(): Promise<void>;
}
