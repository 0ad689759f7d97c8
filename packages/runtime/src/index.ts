export * from './clients';
export * from './run-service';
export * from './run-worker';
