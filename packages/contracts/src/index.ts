export * from './jobs';
export * from './chunk-manifest';
export * from './analysis';
