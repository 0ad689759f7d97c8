export * from './finish-image';
export * from './end-batch';
export * from './claim-image';
