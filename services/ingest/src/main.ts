// Entry point of the ingest service run on its own (docker-compose, Kubernetes).
import { runWorkerService } from '@pixmill/runtime';
import { startIngestWorker } from './worker';

void runWorkerService('ingest', startIngestWorker);
