/**
 * The services that do not use Nest do not load it (docs/PERFORMANCE.md "Memory at rest": Nest
 * with rxjs is about 700 modules and 25 MB per process). Each service's start module from dist/
 * is required in a fresh node process, which lists the packages it loaded.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './support/processes';

function packagesLoaded(module: string): string[] {
  const script = `require(${JSON.stringify(join(ROOT, 'dist', module))});
    const pkgs = new Set(Object.keys(require.cache).map((f) => {
      const at = f.lastIndexOf('/node_modules/');
      if (at < 0) return '';
      const [a, b] = f.slice(at + 14).split('/');
      return a.startsWith('@') ? a + '/' + b : a;
    }));
    process.stdout.write(JSON.stringify([...pkgs].filter(Boolean)));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }));
}

describe('modules each service loads', () => {
  it.each([
    ['poller', 'apps/poller/src/poller.service.js'],
    ['historian', 'apps/historian/src/historian.service.js'],
    ['intake', 'apps/intake/src/start-intake.js'],
  ])('the %s loads neither Nest nor rxjs', (_name, module) => {
    const loaded = packagesLoaded(module);
    expect(loaded).toContain('mqtt'); // it did load its dependencies
    expect(loaded.filter((p) => p.startsWith('@nestjs/') || p === 'rxjs')).toEqual([]);
  });

  it('the API still gets BusRpc, with Nest, from @cicenns/bus/rpc', () => {
    expect(packagesLoaded('libs/bus/src/bus-rpc.js')).toEqual(
      expect.arrayContaining(['@nestjs/microservices', 'rxjs']),
    );
  });
});
