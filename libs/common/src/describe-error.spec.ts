import { describeError, errorSummary } from './describe-error';

describe('describeError / errorSummary', () => {
  it('gives the stack of an Error, or its name and message', () => {
    const e = new RangeError('Invalid time value');
    expect(describeError(e)).toContain('RangeError: Invalid time value\n    at ');
    expect(errorSummary(e)).toBe('RangeError: Invalid time value');
    const bare = new Error('x');
    bare.stack = undefined;
    expect(describeError(bare)).toBe('Error: x');
  });

  it('never throws, whatever was thrown', () => {
    const hostile = {
      toString() {
        throw new Error('no');
      },
    };
    expect(describeError(hostile)).toBe('object');
    expect(errorSummary(hostile)).toBe('object');
    expect(describeError('plain')).toBe('plain');
    expect(errorSummary(undefined)).toBe('undefined');
  });
});
