// The jest project of the suites that attack the embedded configuration (see target.ts).
import { CONFIG_ENV } from '../../support/target';

process.env[CONFIG_ENV] = 'embedded';
