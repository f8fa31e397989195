import { Controller, Get, Header, Inject, NotFoundException, Param, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { ApiBus } from './api-bus';
import { Public } from './auth/roles';
import type { HttpRequest, HttpResponse } from './http/http-types';
import { ZodPipe, ZodQuery } from './http/zod-pipe';
import { setPageHeaders } from './pmts/page-headers';
import {
  groupsQuerySchema,
  MAX_PAGE,
  pmtsQuerySchema,
  selectGroups,
  selectPmts,
  type GroupsQuery,
  type PmtsQuery,
} from './pmts/pmt-query';
import { PmtStates } from './pmts/pmt-states';
import { Views } from './views';

const PAGE_HEADERS = {
  'X-Total-Count': { description: 'how many match the filter in all', schema: { type: 'integer' } },
  Link: { description: '`<url>; rel="next"` while there is a next page', schema: { type: 'string' } },
};

/** Read-only views of the live state (viewer+; health and metrics are public). */
@ApiTags('read')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller()
export class ApiController {
  constructor(
    @Inject(Views) private readonly views: Views,
    @Inject(ApiBus) private readonly bus: ApiBus,
    @Inject(Registry) private readonly metricsRegistry: Registry,
    @Inject(PmtStates) private readonly states: PmtStates,
  ) {}

  @Get('api/health')
  @Public()
  @ApiOperation({ summary: 'Each service and connection with its state (public)' })
  health() {
    return this.views.health(this.bus.connected);
  }

  @Get('api/pmts')
  @ApiOperation({
    summary: 'The PMTs with their latest values, each with timestamp and quality: filtered and paged',
    description:
      `Every given filter must hold; a comma list matches any of its values. In inventory order, ` +
      `at most \`limit\` (default and maximum ${MAX_PAGE}) from \`offset\`; X-Total-Count says how many ` +
      'match, Link the next page. A bad or unknown parameter, or an unknown id, is a 400 naming it. ' +
      '`state` is the state /api/groups counts (HV state raised by the worst live alarm).',
  })
  @ZodQuery(pmtsQuerySchema)
  @ApiOkResponse({ description: 'an array of PMT views', headers: PAGE_HEADERS })
  pmts(
    @Query(new ZodPipe(pmtsQuerySchema)) q: PmtsQuery,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ) {
    const now = Date.now();
    const page = selectPmts(q, this.states, this.states.detector, now);
    setPageHeaders(req, res, page);
    return page.items.map((i) => this.views.pmt(this.states.ids[i], now)!);
  }

  @Get('api/groups')
  @ApiOperation({
    summary: 'The PMTs by group (HV crate, crystal or panel, kind) with counts per state and the worst state',
    description:
      `States, best first: ${'on, ramp, off, no-data, warning, trip, alarm'}: the HV state (the console's rule) ` +
      'raised by the worst live alarm on the PMT, its crystal or panel, or its sensor. Kept as readings and ' +
      `alarms arrive, not computed per request. Paged as /api/pmts (default and maximum ${MAX_PAGE}); ` +
      '`state` keeps the groups whose worst state is one of those given.',
  })
  @ZodQuery(groupsQuerySchema)
  @ApiOkResponse({ description: 'an array of group summaries', headers: PAGE_HEADERS })
  groups(
    @Query(new ZodPipe(groupsQuerySchema)) q: GroupsQuery,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ) {
    const page = selectGroups(q, this.states);
    setPageHeaders(req, res, page);
    return page.items;
  }

  @Get('api/pmts/:id')
  @ApiOperation({ summary: 'One PMT' })
  pmt(@Param('id') id: string) {
    const p = this.views.pmt(id);
    if (!p) throw new NotFoundException(`no PMT "${id}" in the detector inventory`);
    return p;
  }

  @Get('api/sensors')
  @ApiOperation({ summary: 'Temperature sensors with their latest values' })
  sensors() {
    return this.views.sensors();
  }

  @Get('api/beam')
  @ApiOperation({ summary: 'The latest beam status (null before the first)' })
  beam() {
    return this.views.beam();
  }

  @Get('api/detector')
  @ApiOperation({
    summary: 'Crystals and veto panels with their PMTs (HV channel, limits), sensors: for the map',
  })
  detector() {
    return this.views.detector();
  }

  @Get('metrics')
  @Public()
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return this.metricsRegistry.metrics();
  }
}
