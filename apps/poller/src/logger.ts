import { serviceLogger, type ServiceLogger } from '@cicenns/common';

/** What the poller logs through (the one service logger); specs pass a quiet one. */
export type Logger = ServiceLogger;

export const consoleLogger: Logger = serviceLogger('poller');
