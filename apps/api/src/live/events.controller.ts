import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { HttpResponse as Response } from '../http/http-types';
import { requestToken, type AuthedRequest } from '../auth/request-auth';
import { EventHub } from './event-hub';

@ApiTags('live')
@Controller('api/events')
export class EventsController {
  constructor(@Inject(EventHub) private readonly hub: EventHub) {}

  @Get()
  @ApiProduces('text/event-stream')
  @ApiQuery({
    name: 'token',
    required: false,
    description: 'session or API token (EventSource sends no headers)',
  })
  @ApiOperation({
    summary: 'Server-Sent Events: pmt, alarm, beam, health (2 s), hv-progress; a comment ping every 15 s',
  })
  events(@Req() req: AuthedRequest, @Res() res: Response): void {
    this.hub.add(res, requestToken(req, true)!);
  }
}
