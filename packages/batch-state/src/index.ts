export * from './finish-image';
export * from './batch-end';
export * from './claim-image';
export * from './batch-state-error';
export * from './batch-transitions';
export * from './results-link';
export * from './finish-analysis';
export * from './status-sets';
