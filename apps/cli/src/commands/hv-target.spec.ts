import { parseTarget } from './hv';

const names = { crystals: [{ id: 'CsI01' }], panels: [{ id: 'VETO01' }, { id: 'PSV01' }] };

describe('cicenns hv set <target>: names come from the detector, not from their shape', () => {
  it('a configured panel named VETO01, a crystal, a PMT list, a group', () => {
    expect(parseTarget('VETO01', names)).toEqual({ panel: 'VETO01' });
    expect(parseTarget('PSV01', names)).toEqual({ panel: 'PSV01' });
    expect(parseTarget('CsI01', names)).toEqual({ crystal: 'CsI01' });
    expect(parseTarget('VETO01-A,VETO01-B', names)).toEqual({ pmts: ['VETO01-A', 'VETO01-B'] });
    expect(parseTarget('veto', names)).toEqual({ group: 'veto' });
  });

  it('no target: the usage', () => {
    expect(() => parseTarget(undefined, names)).toThrow(/give a target/);
  });
});
