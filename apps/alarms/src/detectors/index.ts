export * from './cusum';
export * from './robust-stats';
