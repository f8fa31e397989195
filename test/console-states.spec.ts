import { NEEDS_ATTENTION } from '@cicenns/contracts';
import { NEEDS_ATTENTION as CONSOLE_NEEDS_ATTENTION } from '../apps/console/src/format';

// The console keeps a copy of the set (the browser can import only types from the contracts).
describe("the console's alarm states", () => {
  it('needs attention for exactly the states the contracts say', () => {
    expect([...CONSOLE_NEEDS_ATTENTION].sort()).toEqual([...NEEDS_ATTENTION].sort());
  });
});
