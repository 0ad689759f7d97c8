export * from './finish-image';
export * from './end-batch';
export * from './claim-image';
export * from './batch-state-error';
export * from './batch-transitions';
export * from './results-link';
export * from './finish-analysis';
export * from './status-sets';
