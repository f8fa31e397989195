export * from './codec';
export * from './plan';
