export * from './start-gateway';
export * from './tokens';
