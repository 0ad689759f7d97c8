// Real images for the analysis tests: photographs from Debian's mate-backgrounds (installed on demand by
// infra/test-photos.sh, as .ci/run does), the public-domain astronaut portrait in fixtures/, and images generated from them with sharp.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

const MATE = '/usr/share/backgrounds/mate';

/** A photograph of mate-backgrounds, e.g. `abstract/Elephants.jpg`; installed (as .ci/run does) when missing. */
export function matePhoto(name: string): Buffer {
  const file = path.join(MATE, name);
  if (!existsSync(file))
    execFileSync('bash', [path.join(__dirname, '../../../../infra/test-photos.sh')], { stdio: 'inherit' });
  return readFileSync(file);
}

/** A detailed, sharp photograph (elephants in a patterned painting, 1920 x 1080). */
export const sharpPhoto = () => matePhoto('abstract/Elephants.jpg');
/** An unrelated landscape with no face and no text. */
export const landscape = () => matePhoto('nature/Dune.jpg');

export const astronaut = () => readFileSync(path.join(__dirname, '../fixtures/astronaut.jpg'));

/** `img` blurred by a Gaussian of `sigma` pixels at a 512-px scale (so the blur looks alike at any size). */
export async function blurred(img: Buffer, sigma = 3): Promise<Buffer> {
  const { width } = await sharp(img).metadata();
  return sharp(img)
    .blur((sigma * width) / 512)
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** The same picture as another file: scaled to 70 % and re-encoded at JPEG quality 40. */
export async function recompressed(img: Buffer): Promise<Buffer> {
  const { width } = await sharp(img).metadata();
  return sharp(img)
    .resize(Math.round(width * 0.7))
    .jpeg({ quality: 40 })
    .toBuffer();
}

export const CONTACT = {
  email: 'hello@example.com',
  phone: '+44 20 7946 0958',
  e164: '+442079460958',
  web: 'www.example.org',
};

/** A photograph with a white sign carrying a phone number, an e-mail and a web address (rendered with librsvg). */
export async function photoWithContact(): Promise<Buffer> {
  const sign = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="1100" height="330">
      <rect width="1100" height="330" rx="16" fill="#ffffff" fill-opacity="0.9"/>
      <text x="50" y="100" font-family="DejaVu Sans" font-size="56" fill="#111">Call ${CONTACT.phone}</text>
      <text x="50" y="190" font-family="DejaVu Sans" font-size="56" fill="#111">${CONTACT.email}</text>
      <text x="50" y="280" font-family="DejaVu Sans" font-size="56" fill="#111">${CONTACT.web}</text>
    </svg>`,
  );
  return sharp(matePhoto('nature/Garden.jpg'))
    .resize(1600)
    .composite([{ input: sign, left: 250, top: 280 }])
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Three astronauts of different sizes (one mirrored) on grey: 900 x 500. */
export async function groupPhoto(): Promise<Buffer> {
  const a = astronaut();
  return sharp({ create: { width: 900, height: 500, channels: 3, background: '#808080' } })
    .composite([
      { input: await sharp(a).resize(300, 300).toBuffer(), left: 20, top: 100 },
      { input: await sharp(a).resize(200, 200).flop().toBuffer(), left: 400, top: 50 },
      { input: await sharp(a).resize(150, 150).toBuffer(), left: 700, top: 300 },
    ])
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A wide landscape canvas with the astronaut's face near the right edge: a centred square crop would cut it. */
export async function faceAtTheEdge(): Promise<Buffer> {
  return sharp({ create: { width: 1600, height: 600, channels: 3, background: '#4a6b3a' } })
    .composite([{ input: await sharp(astronaut()).resize(500, 500).toBuffer(), left: 1080, top: 50 }])
    .jpeg({ quality: 90 })
    .toBuffer();
}
