import { dashboardFiles, loadDashboard, panelQueries } from './support/dashboards';

describe('Grafana dashboards (schema)', () => {
  const files = dashboardFiles();

  it('there is at least one dashboard', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)(
    '%s: valid model, unique panel ids, no overlapping panels, queries use the time filter',
    (file) => {
      const d = loadDashboard(file);
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of d.panels) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      for (let i = 0; i < d.panels.length; i++) {
        for (let j = i + 1; j < d.panels.length; j++) {
          const a = d.panels[i].gridPos;
          const b = d.panels[j].gridPos;
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect({ overlap, a: d.panels[i].title, b: d.panels[j].title }).toEqual({
            overlap: false,
            a: d.panels[i].title,
            b: d.panels[j].title,
          });
        }
      }
      for (const { query } of panelQueries(d)) expect(query).toMatch(/time > now\(\) - 1h/);
    },
  );
});
