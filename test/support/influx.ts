import { InfluxDB } from 'influx';

/** A node-influx client on the test InfluxDB, for reading back what the system stored. */
export function influxClient(url: string, database: string): InfluxDB {
  const u = new URL(url);
  return new InfluxDB({ host: u.hostname, port: Number(u.port), database });
}

export async function count(
  influx: InfluxDB,
  measurement: string,
  field: string,
  where = '',
): Promise<number> {
  try {
    const rows = await influx.query<{ count: number }>(
      `SELECT count("${field}") FROM "${measurement}" ${where}`,
    );
    return rows[0]?.count ?? 0;
  } catch (e) {
    if (/database not found/.test(String(e))) return 0;
    throw e;
  }
}
