// OCR and face detection with the real models (each loaded once for this file).
import sharp from 'sharp';
import { processImage, parseRecipe } from '@pixmill/imaging';
import { FaceEngine, OcrEngine, runSlowAnalyses, type SlowAnalysisDeps } from '../src';
import {
  astronaut,
  CONTACT,
  faceAtTheEdge,
  groupPhoto,
  landscape,
  photoWithContact,
  sharpPhoto,
} from './support/test-images';

const faces = new FaceEngine();
const ocr = new OcrEngine();
const deps: SlowAnalysisDeps = {
  faces,
  ocr,
  limits: { maxInputPixels: 50_000_000, timeoutMs: 60_000, maxTextChars: 10_000, ocrMaxSide: 1600 },
};
const HASH = 'a'.repeat(64);

beforeAll(async () => {
  await Promise.all([faces.warm(), ocr.warm()]);
}, 120_000);
afterAll(async () => {
  await Promise.all([faces.close(), ocr.close()]);
});

describe('text analysis (tesseract.js, English model from npm)', () => {
  it('reads the rendered phone number, e-mail and web address off a photograph', async () => {
    const r = await runSlowAnalyses(await photoWithContact(), HASH, ['text'], deps);
    expect(r.errors).toBeUndefined();
    expect(r.text!.text_content).toContain(CONTACT.email);
    expect(r.text!.business_contact.emails).toEqual([CONTACT.email]);
    expect(r.text!.business_contact.phones).toEqual([CONTACT.e164]);
    expect(r.text!.business_contact.urls).toEqual([CONTACT.web]);
    expect(r.text!.confidence).toBeGreaterThan(70);
  });

  it('finds no contact in a landscape', async () => {
    const r = await runSlowAnalyses(landscape(), HASH, ['text'], deps);
    expect(r.errors).toBeUndefined();
    expect(r.text!.business_contact).toEqual({ emails: [], phones: [], urls: [] });
  });

  it('cuts the text at the limit and says so', async () => {
    const r = await runSlowAnalyses(await photoWithContact(), HASH, ['text'], {
      ...deps,
      limits: { ...deps.limits, maxTextChars: 10 },
    });
    expect(r.text!.text_content).toHaveLength(10);
    expect(r.text!.truncated).toBe(true);
  });

  it('abandons a recognition that runs out of time, and reads again afterwards', async () => {
    const png = await sharp(sharpPhoto()).greyscale().png().toBuffer();
    await expect(ocr.read(png, { timeoutMs: 5, maxChars: 100 })).rejects.toMatchObject({ code: 'analysis_timeout' });
    const again = await runSlowAnalyses(await photoWithContact(), HASH, ['text'], deps);
    expect(again.text!.business_contact.emails).toEqual([CONTACT.email]);
  });
});

describe('face analysis (face-api SSD MobileNet v1 on TensorFlow.js WASM)', () => {
  it('finds the face in a portrait, in the original’s pixels', async () => {
    const r = await runSlowAnalyses(astronaut(), HASH, ['faces'], deps);
    expect(r.errors).toBeUndefined();
    expect(r.faces!.count).toBe(1);
    const box = r.faces!.boxes[0]!;
    expect(box.score).toBeGreaterThan(0.9);
    // Eileen Collins' face: about x 180-265, y 70-170 of the 512 x 512 portrait.
    expect(box.x).toBeGreaterThan(150);
    expect(box.x + box.width).toBeLessThan(300);
    expect(box.y).toBeGreaterThan(40);
    expect(box.y + box.height).toBeLessThan(200);
  });

  it('counts three faces of different sizes', async () => {
    const r = await runSlowAnalyses(await groupPhoto(), HASH, ['faces'], deps);
    expect(r.faces!.count).toBe(3);
  });

  it('finds no face in landscapes', async () => {
    for (const img of [landscape(), sharpPhoto()]) {
      const r = await runSlowAnalyses(img, HASH, ['faces'], deps);
      expect(r.faces).toEqual({ count: 0, boxes: [] });
    }
  });

  it('keeps the face inside a `faces` cover crop, where a centred crop cuts it off', async () => {
    const img = await faceAtTheEdge();
    const { faces: found } = await runSlowAnalyses(img, HASH, ['faces'], deps);
    expect(found!.count).toBe(1);
    const face = found!.boxes[0]!;
    const recipe = parseRecipe({
      variants: [
        { name: 'faces', width: 400, height: 400, fit: 'cover', position: 'faces', format: 'png' },
        { name: 'centre', width: 400, height: 400, fit: 'cover', position: 'centre', format: 'png' },
      ],
    });
    const out = await processImage(img, recipe, { maxInputPixels: 50_000_000, timeoutMs: 30_000, faces: found!.boxes });
    // The source is 1600 x 600, so a 400 x 400 cover keeps a 600 x 600 square, scaled by 2/3.
    const faceInCrop = async (data: Buffer) => {
      const again = await runSlowAnalyses(data, HASH, ['faces'], deps);
      return again.faces!;
    };
    const [withFaces, centred] = await Promise.all([
      faceInCrop(out.outputs[0]!.data),
      faceInCrop(out.outputs[1]!.data),
    ]);
    expect(out.outputs[0]).toMatchObject({ width: 400, height: 400 });
    expect(withFaces.count).toBe(1);
    const b = withFaces.boxes[0]!;
    expect(b.x).toBeGreaterThanOrEqual(0);
    expect(b.y).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width).toBeLessThanOrEqual(400);
    expect(b.y + b.height).toBeLessThanOrEqual(400);
    // Its size is the original face's scaled by 2/3.
    expect(b.width).toBeCloseTo((face.width * 2) / 3, -1);
    expect(centred.count).toBe(0);
  });

  it('falls back to attention when a `faces` variant has no face to keep', async () => {
    const img = landscape();
    const recipe = (position: string) =>
      parseRecipe({ variants: [{ name: 'v', width: 300, height: 300, fit: 'cover', position, format: 'png' }] });
    const opts = { maxInputPixels: 50_000_000, timeoutMs: 30_000 };
    const [viaFaces, viaAttention] = await Promise.all([
      processImage(img, recipe('faces'), { ...opts, faces: [] }),
      processImage(img, recipe('attention'), opts),
    ]);
    expect(viaFaces.outputs[0]!.data.equals(viaAttention.outputs[0]!.data)).toBe(true);
  });

  it('maps boxes of a turned (EXIF-oriented) photograph to the upright picture', async () => {
    // Stored lying on its side with orientation 6: shown upright, the face is where it is in the portrait.
    const turned = await sharp(astronaut()).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const r = await runSlowAnalyses(turned, HASH, ['faces'], deps);
    expect(r.faces!.count).toBe(1);
    expect(r.faces!.boxes[0]!.x).toBeGreaterThan(150);
    expect(r.faces!.boxes[0]!.y).toBeLessThan(130);
  });
});

describe('describe without a provider', () => {
  it('records that no provider is configured', async () => {
    const r = await runSlowAnalyses(astronaut(), HASH, ['describe'], deps);
    expect(r.describe).toBeUndefined();
    expect(r.errors!.describe).toMatchObject({ code: 'provider_not_configured' });
  });
});
