import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { errorResponse } from './error-response';

function httpError(status: number, type: string, message: string, extra: object = {}): Error {
  return Object.assign(new Error(message), { status, type, expose: true, ...extra });
}

describe('errorResponse', () => {
  it('keeps Nest exceptions as {statusCode, error, message}', () => {
    expect(errorResponse(new BadRequestException('set.vset: too high'))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'set.vset: too high',
    });
    expect(errorResponse(new NotFoundException('Cannot GET /x'))).toMatchObject({ statusCode: 404 });
    expect(errorResponse(new HttpException('slow down', 429))).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'slow down',
    });
  });

  it("names the body parser's limits", () => {
    expect(
      errorResponse(httpError(413, 'entity.too.large', 'request entity too large', { limit: 1024 })),
    ).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'body: larger than the limit of 1024 bytes (api.maxBodyBytes)',
    });
    expect(
      errorResponse(httpError(415, 'encoding.unsupported', 'unsupported content encoding "br"')),
    ).toMatchObject({
      statusCode: 415,
      message: 'unsupported content encoding "br"',
    });
  });

  it('answers anything else with a 500 that holds no stack or path', () => {
    const e = new RangeError('Maximum call stack size exceeded');
    e.stack = 'RangeError: ... at /work/apps/api/src/audit/audit-log.ts:12';
    const r = errorResponse(e);
    expect(r).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'internal error (the API log has the details)',
    });
    expect(errorResponse('a string')).toMatchObject({ statusCode: 500 });
  });
});
