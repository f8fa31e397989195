import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodPipe, ZodQuery } from '../http/zod-pipe';
import { trendsQuerySchema, type TrendsQuery } from './trends-query';
import { TrendsService } from './trends.service';

@ApiTags('trends')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api/trends')
export class TrendsController {
  constructor(@Inject(TrendsService) private readonly trends: TrendsService) {}

  @Get()
  @ZodQuery(trendsQuerySchema)
  @ApiOperation({
    summary: 'Mean of one field of one subject per interval, at most `points` points',
    description:
      'measurement/field: hv (vmon, imon, vset, iset), temperature (value_c), dcr (rate_hz), gain (gain), ' +
      'coincidence (rate_hz); subject: a PMT, sensor or crystal id; from/to: epoch ms or ISO-8601 (default: the last hour).',
  })
  query(@Query(new ZodPipe(trendsQuerySchema)) q: TrendsQuery) {
    return this.trends.query(q);
  }
}
