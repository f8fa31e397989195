import type { AppConfigFile } from '@cicenns/model';
import { operatorSetup, setUpRetention, type HvFields } from './retention-setup';

/** InfluxDB answered, but with an error (as opposed to not answering at all). */
export class InfluxQueryError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type WriteOutcome = { ok: true } | { ok: false; retry: boolean; message: string };

/**
 * Writes line protocol through the InfluxDB v1 HTTP API (/write, /query), the one API that
 * InfluxDB 1.x, 2.x (compatibility endpoints) and 3.x all serve.
 */
export class InfluxWriter {
  private readonly base: string;
  private readonly auth: Record<string, string>;

  constructor(
    private readonly cfg: AppConfigFile['influx'],
    /** the HV fields of the profiles: the aggregate tier's hv queries name them (retention-setup.ts) */
    private readonly hvFields: HvFields = { held: [], measured: [] },
  ) {
    this.base = cfg.url.replace(/\/+$/, '');
    this.auth =
      cfg.username !== undefined
        ? {
            Authorization: `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}`,
          }
        : {};
  }

  /**
   * The database, both retention policies and the continuous queries (retention-setup.ts); every
   * statement is idempotent or brought to the configured settings, so this runs on every
   * (re)connect. On InfluxDB 2.x/3.x the v1 API cannot do it: returns what the operator must set
   * up instead (the historian says it and writes anyway).
   */
  async ensureDatabase(
    warn: (message: string) => void,
  ): Promise<{ ok: true } | { ok: false; operatorMustSetUp: string }> {
    const version = await this.version();
    // 1.x says "1.6.7~rc0", 2.x "v2.7.11"; a server that says nothing is tried as 1.x
    if (version && !/^v?1\./.test(version))
      return { ok: false, operatorMustSetUp: operatorSetup(this.cfg, version) };
    await setUpRetention(this.cfg, (q) => this.query(q), warn, this.hvFields);
    return { ok: true };
  }

  /** The server's version (X-Influxdb-Version of /ping), or undefined if it does not say. */
  async version(): Promise<string | undefined> {
    const res = await fetch(`${this.base}/ping`, { headers: this.auth, signal: AbortSignal.timeout(10_000) });
    return res.headers.get('x-influxdb-version') ?? undefined;
  }

  async query(q: string): Promise<unknown> {
    const res = await fetch(`${this.base}/query`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...this.auth },
      body: new URLSearchParams({ q }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as { error?: string; results?: { error?: string }[] };
    const err = body.error ?? body.results?.find((r) => r.error)?.error;
    if (!res.ok || err)
      throw new InfluxQueryError(
        res.status,
        `InfluxDB query failed (${res.status}): ${err ?? res.statusText}`,
      );
    return body;
  }

  /** Lines into the raw tier, or into the retention policy `rp` (the aggregate tier). */
  async write(body: string, rp = this.cfg.tiers.raw.name): Promise<WriteOutcome> {
    const params = new URLSearchParams({
      db: this.cfg.database,
      rp,
      precision: 'ms',
    });
    let res: Response;
    try {
      res = await fetch(`${this.base}/write?${params}`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain; charset=utf-8', ...this.auth },
        body,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      return { ok: false, retry: true, message: `cannot reach InfluxDB: ${cause ?? (e as Error).message}` };
    }
    if (res.status === 204) return { ok: true };
    const text = (await res.text()).slice(0, 500);
    // 4xx: the data itself is refused (retrying cannot help); 5xx and 404 (database missing): retry
    const retry = res.status >= 500 || res.status === 404 || res.status === 401 || res.status === 403;
    return { ok: false, retry, message: `InfluxDB ${res.status}: ${text}` };
  }
}
