// Entry point of the webhook notifier run on its own (docker-compose, Kubernetes).
import { runWorkerService } from '@pixmill/runtime';
import { startNotifierWorker } from './worker';

void runWorkerService('notifier', startNotifierWorker);
