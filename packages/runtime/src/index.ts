export * from './clients';
export * from './queue-metrics';
export * from './run-service';
export * from './run-worker';
