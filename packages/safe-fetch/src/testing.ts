// Loopback servers for tests of URL fetching: `@pixmill/safe-fetch/testing`.
export { startServer, startTrap, type LocalServer } from './testing/local-server';
export { startImageServer, PNG, JPEG, PDF, type ImageServer, type ImageServerOptions } from './testing/image-server';
