export * from './run-main';
export * from './sqlite';
