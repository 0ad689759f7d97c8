// Entry point of the analyze service run on its own (docker-compose, Kubernetes).
import { runWorkerService } from '@pixmill/runtime';
import { startAnalyzeWorker } from './worker';

void runWorkerService('analyze', startAnalyzeWorker);
