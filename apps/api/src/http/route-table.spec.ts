import { AlarmsController } from '../alarms/alarms.controller';
import { ApiController } from '../api.controller';
import { AuthController } from '../auth/auth.controller';
import { EventsController } from '../live/events.controller';
import { findRoute, routeTable } from './route-table';

describe('routeTable', () => {
  const routes = routeTable([ApiController, AuthController, AlarmsController, EventsController]);

  it('reads path, method, role and audit action from the decorators', () => {
    expect(findRoute(routes, 'GET', '/api/health')).toMatchObject({ need: 'public' });
    expect(findRoute(routes, 'GET', '/api/pmts')).toMatchObject({ need: 'viewer' });
    expect(findRoute(routes, 'POST', '/api/auth/login')).toMatchObject({
      need: 'public',
      audit: 'auth.login',
    });
    expect(findRoute(routes, 'POST', '/api/alarms/dcr-high:PSV01-A/disable')).toMatchObject({
      path: '/api/alarms/:id/disable',
      need: 'expert',
      audit: 'alarm.disable',
    });
    expect(findRoute(routes, 'POST', '/api/events/ticket')).toMatchObject({ need: 'viewer' });
    expect(findRoute(routes, 'GET', '/api/nothing')).toBeUndefined();
    expect(findRoute(routes, 'POST', '/api/alarms/a/b/disable')).toBeUndefined();
  });
});
