import type { AppConfigFile } from '@cicenns/model';

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

  constructor(private readonly cfg: AppConfigFile['influx']) {
    this.base = cfg.url.replace(/\/+$/, '');
    this.auth =
      cfg.username !== undefined
        ? {
            Authorization: `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}`,
          }
        : {};
  }

  /** CREATE DATABASE and the retention policy are idempotent in InfluxQL; run on every (re)connect. */
  async ensureDatabase(): Promise<void> {
    const { database, retentionPolicy: rp } = this.cfg;
    await this.query(`CREATE DATABASE "${database}"`);
    await this.query(
      `CREATE RETENTION POLICY "${rp.name}" ON "${database}" DURATION ${rp.duration} REPLICATION 1 DEFAULT`,
    ).catch(async (e: Error) => {
      // exists with other settings: bring it to the configured duration
      if (!/already exists/.test(e.message)) throw e;
      await this.query(
        `ALTER RETENTION POLICY "${rp.name}" ON "${database}" DURATION ${rp.duration} DEFAULT`,
      );
    });
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

  async write(body: string): Promise<WriteOutcome> {
    const params = new URLSearchParams({
      db: this.cfg.database,
      rp: this.cfg.retentionPolicy.name,
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
