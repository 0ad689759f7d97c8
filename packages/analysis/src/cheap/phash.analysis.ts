// phash: a 64-bit perceptual hash (DCT of a 32 x 32 luma copy); grouping by Hamming distance is in phash-groups.ts.
import type { RawPixels } from '@pixmill/imaging';
import { downsample } from './downsample';

const N = 32;
const LOW = 8;

const cosines = (() => {
  const c = new Float64Array(N * N);
  for (let k = 0; k < N; k++)
    for (let n = 0; n < N; n++) c[k * N + n] = Math.cos(((2 * n + 1) * k * Math.PI) / (2 * N));
  return c;
})();

/** The 8 x 8 lowest frequencies of the 2-D DCT-II of an N x N block (only those are needed). */
function lowFrequencies(block: Float64Array): Float64Array {
  const rows = new Float64Array(N * LOW); // DCT along x, for the low u only
  for (let y = 0; y < N; y++)
    for (let u = 0; u < LOW; u++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += block[y * N + x]! * cosines[u * N + x]!;
      rows[y * LOW + u] = s;
    }
  const out = new Float64Array(LOW * LOW);
  for (let v = 0; v < LOW; v++)
    for (let u = 0; u < LOW; u++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += rows[y * LOW + u]! * cosines[v * N + y]!;
      out[v * LOW + u] = s;
    }
  return out;
}

/** 16 hex digits: bit i set when low frequency i is above the median of the 64 (the classic pHash). */
export async function phashOf(rgba: RawPixels): Promise<string> {
  const grey = downsample(rgba, { width: N, height: N, greyscale: true });
  const block = Float64Array.from(grey.data.subarray(0, N * N));
  const low = lowFrequencies(block);
  const sorted = Float64Array.from(low).sort();
  const median = (sorted[(LOW * LOW) / 2 - 1]! + sorted[(LOW * LOW) / 2]!) / 2;
  let hash = 0n;
  for (let i = 0; i < LOW * LOW; i++) if (low[i]! > median) hash |= 1n << BigInt(63 - i);
  return hash.toString(16).padStart(16, '0');
}
