export * from './schemas';
export * from './config-error';
export * from './yaml-file';
export * from './detector';
export * from './physics';
export * from './load-config';
export * from './tokens';
