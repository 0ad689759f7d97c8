// Face detection with face-api's SSD MobileNet v1 (weights shipped in @vladmandic/face-api, read from disk) on the
// WASM TensorFlow.js backend. Inference is synchronous CPU work of about a second an image, so it runs in a worker
// thread of its own: the process's event loop (HTTP, queue heartbeats) never waits for it.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AnalysisTimeoutError } from '../analysis.error';

/** Detections the model is less sure of are dropped (0.5 let a patterned elephant's ear through in the tests). */
export const MIN_FACE_SCORE = 0.6;
const MAX_FACES = 100;

export type DetectedFace = { x: number; y: number; width: number; height: number; score: number };

/** Runs in the worker thread (plain CommonJS, as `node -e` would; the paths come from the parent). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const faceapi = require(workerData.faceApi);
const wasm = require(workerData.wasmBackend);
const ready = (async () => {
  wasm.setWasmPaths(workerData.wasmDir);
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(workerData.modelDir);
})();
parentPort.on('message', async (job) => {
  try {
    await ready;
    if (job.warm) return parentPort.postMessage({ id: job.id, faces: [] });
    const tf = faceapi.tf;
    const faces = tf.tidy(() => tf.tensor3d(new Uint8Array(job.pixels), [job.height, job.width, 3], 'int32'));
    try {
      const found = await faceapi.detectAllFaces(
        faces,
        new faceapi.SsdMobilenetv1Options({ minConfidence: workerData.minScore, maxResults: workerData.maxFaces }),
      );
      parentPort.postMessage({
        id: job.id,
        faces: found.map((d) => ({ x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height, score: d.score })),
      });
    } finally {
      faces.dispose();
    }
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String((err && err.message) || err) });
  }
});
`;

function workerPaths() {
  const faceApiDir = path.dirname(require.resolve('@vladmandic/face-api/package.json'));
  const wasmBackend = require.resolve('@tensorflow/tfjs-backend-wasm');
  return {
    faceApi: path.join(faceApiDir, 'dist/face-api.node-wasm.js'),
    modelDir: path.join(faceApiDir, 'model'),
    wasmBackend,
    // The .wasm files sit beside the backend's entry point (dist/); the trailing slash makes it a folder prefix.
    wasmDir: path.dirname(wasmBackend) + path.sep,
    minScore: MIN_FACE_SCORE,
    maxFaces: MAX_FACES,
  };
}

type Pending = { resolve: (faces: DetectedFace[]) => void; reject: (err: Error) => void };

export class FaceEngine {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: workerPaths() });
    // An idle engine must not keep the process alive.
    worker.unref();
    worker.on('message', (m: { id: number; faces?: DetectedFace[]; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (!p) return;
      if (m.error !== undefined) p.reject(new Error(`face detection failed: ${m.error}`));
      else p.resolve(m.faces ?? []);
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`face detection worker exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  private ask(message: object, timeoutMs: number, transfer: ArrayBuffer[] = []): Promise<DetectedFace[]> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<DetectedFace[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        // The model cannot be interrupted: the worker goes, and the next image starts another.
        if (this.worker === worker) this.worker = undefined;
        void worker.terminate();
        reject(new AnalysisTimeoutError('faces', timeoutMs));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (f) => (clearTimeout(timer), resolve(f)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      worker.postMessage({ id, ...message }, transfer);
    });
  }

  /** Loads the model now (about a second) instead of on the first image. */
  async warm(timeoutMs = 60_000): Promise<void> {
    await this.ask({ warm: true }, timeoutMs);
  }

  /** Faces in RGB pixels (3 channels), in the pixels' own coordinates. */
  detect(px: { data: Buffer; width: number; height: number }, timeoutMs: number): Promise<DetectedFace[]> {
    const pixels = Uint8Array.from(px.data).buffer;
    return this.ask({ pixels, width: px.width, height: px.height }, timeoutMs, [pixels]);
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
