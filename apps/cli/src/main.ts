#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ApiClient, ApiError } from './client';
import { ack, listAlarms, shelve } from './commands/alarms';
import { COMMISSION_USAGE, commission } from './commands/commission';
import { hvSet } from './commands/hv';
import { login } from './commands/login';
import { status } from './commands/status';
import { hashPasswordCommand, newTokenCommand } from './commands/users';
import { loadSettings } from './settings';

const USAGE = `cicenns: the CICENNS slow control from a terminal (calls the REST API only)

  cicenns status                              services, PMTs, alarms needing attention
  cicenns alarms [--all]                      alarms that are not normal (--all: every one)
  cicenns ack <alarmId...> [-m comment]       acknowledge (shifter)
  cicenns shelve <alarmId> --reason "..." [--minutes 60]   (shifter; 1..720 min)
  cicenns hv set <target> [--vset V] [--iset uA] [--ramp-up V/s] [--ramp-down V/s] [--on|--off]
                 [--yes] [--partial] [--no-wait]  (expert) preview, confirm, apply, follow the ramp
        target: CsI01-A (or a comma list), CsI01 (a crystal), PSV01 (a panel), veto, crystal, all
${COMMISSION_USAGE}  cicenns login [user]                        log in; the session is saved for later commands
  cicenns logout
  cicenns users hash-password                 a password hash for the users file
  cicenns users new-token                     an API token and its sha256 for the users file

  --json  machine-readable output
  CICENNS_URL (default http://127.0.0.1:8080), CICENNS_TOKEN (a session or API token)
`;

async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      message: { type: 'string', short: 'm' },
      minutes: { type: 'string' },
      reason: { type: 'string' },
      vset: { type: 'string' },
      iset: { type: 'string' },
      'ramp-up': { type: 'string' },
      'ramp-down': { type: 'string' },
      on: { type: 'boolean' },
      off: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      partial: { type: 'boolean' },
      'no-wait': { type: 'boolean' },
      procedure: { type: 'string' },
      confirm: { type: 'string' },
      comment: { type: 'string' },
      pmt: { type: 'string', multiple: true },
      format: { type: 'string' },
      out: { type: 'string' },
      watch: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, sub, ...rest] = positionals;
  if (o.help || !cmd) {
    process.stdout.write(USAGE);
    return cmd || o.help ? 0 : 2;
  }
  const settings = loadSettings();
  const api = new ApiClient(settings);
  const json = o.json === true;
  switch (cmd) {
    case 'status':
      return status(api, json);
    case 'alarms':
      return listAlarms(api, o.all === true, json);
    case 'ack':
      return ack(api, positionals.slice(1), o.message, json);
    case 'shelve':
      return shelve(api, sub, o.minutes, o.reason, json);
    case 'hv':
      if (sub !== 'set') break;
      return hvSet(api, rest[0], {
        vset: o.vset,
        iset: o.iset,
        rampUp: o['ramp-up'],
        rampDown: o['ramp-down'],
        on: o.on,
        off: o.off,
        yes: o.yes,
        partial: o.partial,
        wait: !o['no-wait'],
        json,
      });
    case 'commission':
      return commission(api, positionals.slice(1), {
        procedure: o.procedure,
        confirm: o.confirm,
        comment: o.comment,
        pmt: o.pmt,
        format: o.format,
        out: o.out,
        watch: o.watch,
        json,
      });
    case 'login':
      return login(api, settings, sub);
    case 'logout':
      await api.post('/api/auth/logout');
      return 0;
    case 'users':
      if (sub === 'hash-password') return hashPasswordCommand();
      if (sub === 'new-token') return newTokenCommand();
      break;
  }
  process.stderr.write(`cicenns: unknown command "${positionals.join(' ')}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `cicenns: ${err instanceof ApiError || err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(err instanceof ApiError ? 1 : 2);
  },
);
