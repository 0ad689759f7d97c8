export * from './start-gateway';
export * from './tokens';
export * from './envelope';
