export * from './jobs';
export * from './chunk-manifest';
export * from './analysis';
export * from './storage-layout';
export * from './ids';
export * from './image-failure';
export * from './api-envelope';
