import { allPages } from './all-pages';

describe('allPages', () => {
  it('asks page after page until one comes back short', async () => {
    const items = Array.from({ length: 25 }, (_, i) => i);
    const asked: string[] = [];
    const api = {
      get: async <T>(path: string) => {
        asked.push(path);
        const q = new URLSearchParams(path.split('?')[1]);
        const offset = Number(q.get('offset'));
        return items.slice(offset, offset + Number(q.get('limit'))) as T;
      },
    };
    expect(await allPages<number>(api, '/api/pmts', 10)).toEqual(items);
    expect(asked).toEqual([
      '/api/pmts?limit=10&offset=0',
      '/api/pmts?limit=10&offset=10',
      '/api/pmts?limit=10&offset=20',
    ]);
    expect(await allPages<number>(api, '/api/pmts?crate=hv-1', 25)).toHaveLength(25);
    expect(asked.at(-1)).toBe('/api/pmts?crate=hv-1&limit=25&offset=25');
  });
});
