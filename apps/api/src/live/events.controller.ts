import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { HttpResponse as Response } from '../http/http-types';
import { requestToken, type AuthedRequest } from '../auth/request-auth';
import { ZodPipe } from '../http/zod-pipe';
import { EventHub } from './event-hub';
import { EventTickets } from './event-tickets';

const emptySchema = z.object({}).strict();

@ApiTags('live')
@Controller('api/events')
export class EventsController {
  constructor(
    @Inject(EventHub) private readonly hub: EventHub,
    @Inject(EventTickets) private readonly tickets: EventTickets,
  ) {}

  @Get()
  @ApiProduces('text/event-stream')
  @ApiQuery({
    name: 'ticket',
    required: false,
    description:
      'a ticket from POST /api/events/ticket (single use, 30 s), for clients that cannot send the cookie ' +
      'or an Authorization header (EventSource); tokens in the URL are refused',
  })
  @ApiOperation({
    summary: 'Server-Sent Events: pmt, alarm, beam, health (2 s), hv-progress; a comment ping every 15 s',
    description:
      '429 beyond api.maxEventStreamsPerUser streams of one user or api.maxEventStreams in all. ' +
      'Authenticated by the session cookie, Authorization: Bearer, or ?ticket=.',
  })
  events(@Req() req: AuthedRequest, @Res() res: Response): void {
    this.hub.add(res, req.streamToken ?? requestToken(req)!, req.principal!.name);
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
