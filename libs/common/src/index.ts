export * from './logger';
export * from './run-main';
export * from './running-service';
export * from './sqlite';
export * from './bounded-memo';
export * from './rate-limited-log';
export * from './passwords';
export * from './seeded-random';
