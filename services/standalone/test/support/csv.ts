// Reading CSV answers in end-to-end tests with csv-parse, borrowed from the gateway's dependencies (the standalone
// package has none of its own for it).
import { createRequire } from 'node:module';

const fromGateway = createRequire(require.resolve('@pixmill/gateway/package.json'));
const { parse } = fromGateway('csv-parse/sync') as {
  parse: (input: string, options?: Record<string, unknown>) => string[][];
};

export const parseCsv = (text: string): string[][] => parse(text);
