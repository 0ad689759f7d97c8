// Faces of an encoded image, in the displayed original's pixels.
import type { FacesResult } from '@pixmill/contracts';
import { readForAnalysis, type ScaledCopy } from '@pixmill/imaging';
import type { DetectedFace, FaceEngine } from './face.engine';

/** Face detection sees a copy at most this large: the SSD model works at 512 x 512 whatever it is given. */
export const FACES_SIDE = 640;

const round2 = (v: number) => Math.round(v * 100) / 100;

/** A box of the copy's pixels mapped back to the displayed original. */
export function toOriginal(copy: ScaledCopy, f: DetectedFace): FacesResult['boxes'][number] {
  const sx = copy.originalWidth / copy.pixels.width;
  const sy = copy.originalHeight / copy.pixels.height;
  const x = Math.max(0, f.x * sx);
  const y = Math.max(0, f.y * sy);
  return {
    x: round2(x),
    y: round2(y),
    width: round2(Math.min(copy.originalWidth - x, f.width * sx)),
    height: round2(Math.min(copy.originalHeight - y, f.height * sy)),
    score: Math.round(f.score * 1000) / 1000,
  };
}

export async function facesIn(
  copy: ScaledCopy,
  engine: Pick<FaceEngine, 'detect'>,
  timeoutMs: number,
): Promise<FacesResult> {
  const found = await engine.detect(copy.pixels, timeoutMs);
  const boxes = found.map((f) => toOriginal(copy, f)).sort((a, b) => b.score - a.score);
  return { count: boxes.length, boxes };
}

export async function detectFaces(
  input: Buffer,
  engine: Pick<FaceEngine, 'detect'>,
  o: { maxInputPixels: number; timeoutMs: number },
): Promise<FacesResult> {
  const { rgb } = await readForAnalysis(input, { ...o, rgbMaxSide: FACES_SIDE });
  return facesIn(rgb!, engine, o.timeoutMs);
}
