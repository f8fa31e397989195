import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { HttpResponse as Response } from '../http/http-types';
import { requestToken, type AuthedRequest } from '../auth/request-auth';
import { ZodPipe, ZodQuery } from '../http/zod-pipe';
import { compileFilter, pmtFilterShape } from '../pmts/pmt-query';
import { GROUPINGS, PmtStates } from '../pmts/pmt-states';
import { EventHub, UNFILTERED_MAX_PMTS } from './event-hub';
import { EventTickets } from './event-tickets';

const emptySchema = z.object({}).strict();

/** The stream's filter: which PMTs' `pmt` events (as /api/pmts filters), which `group` events. */
const streamQuerySchema = z
  .object({
    ...pmtFilterShape,
    groupBy: z.enum(GROUPINGS).optional(),
    ticket: z.string().max(200).optional(), // read by the auth guard
  })
  .strict();
type StreamQuery = z.infer<typeof streamQuerySchema>;

@ApiTags('live')
@Controller('api/events')
export class EventsController {
  constructor(
    @Inject(EventHub) private readonly hub: EventHub,
    @Inject(EventTickets) private readonly tickets: EventTickets,
    @Inject(PmtStates) private readonly states: PmtStates,
  ) {}

  @Get()
  @ApiProduces('text/event-stream')
  @ZodQuery(streamQuerySchema.omit({ ticket: true }))
  @ApiQuery({
    name: 'ticket',
    required: false,
    description:
      'a ticket from POST /api/events/ticket (single use, 30 s), for clients that cannot send the cookie ' +
      'or an Authorization header (EventSource); tokens in the URL are refused',
  })
  @ApiOperation({
    summary:
      'Server-Sent Events: pmt, group, alarm, beam, health (2 s), hv-progress; a comment ping every 15 s',
    description:
      '`pmt` events for the PMTs the filter takes (the filters of /api/pmts), the latest view of each ' +
      'changed PMT at most every 100 ms, held (coalesced, one per PMT) while the client reads slowly; ' +
      `without a filter every PMT, but none on a detector of more than ${UNFILTERED_MAX_PMTS} PMTs. ` +
      '`group` events `{by, groups}`: the summaries (as /api/groups) of the groupBy groups that changed. ' +
      '429 beyond api.maxEventStreamsPerUser streams of one user or api.maxEventStreams in all. ' +
      'Authenticated by the session cookie, Authorization: Bearer, or ?ticket=.',
  })
  events(
    @Req() req: AuthedRequest,
    @Res() res: Response,
    @Query(new ZodPipe(streamQuerySchema)) q: StreamQuery,
  ): void {
    const { groupBy, ticket, ...filter } = q;
    void ticket; // the auth guard's
    const filtered = Object.values(filter).some((v) => v !== undefined);
    const test = filtered ? compileFilter(filter, this.states, this.states.detector).test : undefined;
    this.hub.add(res, req.streamToken ?? requestToken(req)!, req.principal!.name, { test, groupBy });
  }

  @Post('ticket')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A single-use ticket for GET /api/events?ticket=, valid 30 s (instead of a token in the URL)',
  })
  ticket(@Req() req: AuthedRequest, @Body(new ZodPipe(emptySchema)) _b: object) {
    return this.tickets.issue(requestToken(req)!);
  }
}
