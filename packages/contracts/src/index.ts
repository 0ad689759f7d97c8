export * from './jobs';
export * from './chunk-manifest';
