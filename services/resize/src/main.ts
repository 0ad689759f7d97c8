// Entry point of the resize service run on its own (docker-compose, Kubernetes).
import { runWorkerService } from '@pixmill/runtime';
import { startResizeWorker } from './worker';

void runWorkerService('resize', startResizeWorker);
