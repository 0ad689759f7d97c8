// placeholder: a ThumbHash (about 25 bytes, base64) a client decodes into a blurred preview while the image loads.
import { rgbaToThumbHash } from 'thumbhash';
import type { PlaceholderResult } from '@pixmill/contracts';
import type { RawPixels } from '@pixmill/imaging';
import { downsample, fitInside } from './downsample';

/** ThumbHash encodes images of at most 100 x 100. */
const MAX_SIDE = 100;

export async function placeholderOf(rgba: RawPixels): Promise<PlaceholderResult> {
  const small = rgba.width > MAX_SIDE || rgba.height > MAX_SIDE ? downsample(rgba, fitInside(rgba, MAX_SIDE)) : rgba;
  const hash = rgbaToThumbHash(small.width, small.height, small.data);
  return { thumbhash: Buffer.from(hash).toString('base64') };
}
