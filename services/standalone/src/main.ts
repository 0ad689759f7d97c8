// `pnpm start`: every pixmill service in one process. With nothing configured it runs on embedded defaults
// (embedded database and local storage in DATA_DIR, in-process queue); set DATABASE_URL, AMQP_URL and S3_* to use real ones.
import { runService } from '@pixmill/runtime';
import { startAllInOne } from './all-in-one';

void runService('pixmill', startAllInOne);
