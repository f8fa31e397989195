/**
 * What the generator cannot express (a PMT id that is not a safe InfluxQL literal, a unit Grafana
 * has no id for, a threshold that is not a finite number): fails with the name and the reason,
 * never writes a dashboard that would silently show the wrong thing.
 */
export class DashboardInputError extends Error {
  constructor(
    /** the thing that cannot be expressed, e.g. "PMT CsI'01-A" or "unit furlongs" */
    readonly subject: string,
    readonly reason: string,
  ) {
    super(`dashboards: ${subject}: ${reason}`);
    this.name = 'DashboardInputError';
  }
}
