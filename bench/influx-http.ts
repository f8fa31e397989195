/** InfluxQL over the v1 HTTP API for benchmarks: the answer, or an error naming the query. */
export async function influxQuery(url: string, db: string, q: string): Promise<unknown> {
  const res = await fetch(`${url}/query?db=${db}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ q }),
  });
  const body = await res.text();
  if (res.status !== 200 || body.includes('"error"'))
    throw new Error(`${q}: ${res.status} ${body.slice(0, 300)}`);
  return JSON.parse(body);
}
