export * from './logger';
export * from './metrics';
export * from './pipeline-metrics';
export * from './health';
export * from './health-server';
