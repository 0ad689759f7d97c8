// Google Cloud Vision `images:annotate` (REST v1): labels, logos (the store's name) and text in one request.
import { z } from 'zod';
import { ProviderError } from '../analysis.error';
import { postJson } from './http-exchange';
import { boundedLabels, boundedText, type ProviderAnswer, type VisionAdapter } from './provider';

export const GOOGLE_VISION_URL = 'https://vision.googleapis.com';

const Annotation = z.object({ description: z.string().max(100_000), score: z.number().optional() });
/** The parts of an AnnotateImageResponse pixmill reads (others are ignored; these must have the documented types). */
const AnnotateResponse = z.object({
  responses: z
    .array(
      z.object({
        labelAnnotations: z.array(Annotation).optional(),
        logoAnnotations: z.array(Annotation).optional(),
        textAnnotations: z.array(Annotation).optional(),
        fullTextAnnotation: z.object({ text: z.string() }).optional(),
        error: z.object({ code: z.number().optional(), message: z.string().optional() }).optional(),
      }),
    )
    .length(1),
});

/** Labels Vision gives shop fronts; `store_image` is true when one of them is among the labels. */
const STORE_LABELS =
  /\b(store ?front|shop|retail|store|boutique|supermarket|grocery|signage|shopping|convenience store|bakery|pharmacy|restaurant|caf[eé])\b/i;
const MIN_LOGO_SCORE = 0.5;

export function parseAnnotateResponse(json: unknown): ProviderAnswer {
  const parsed = AnnotateResponse.safeParse(json);
  if (!parsed.success)
    throw new ProviderError('provider_bad_answer', 'Vision answer is not an AnnotateImageResponse', false);
  const r = parsed.data.responses[0]!;
  if (r.error) {
    throw new ProviderError(
      'provider_refused',
      `Vision could not annotate the image: ${(r.error.message ?? '').slice(0, 300)}`,
      false,
    );
  }
  const labels = r.labelAnnotations?.map((l) => l.description) ?? null;
  const logo = r.logoAnnotations?.find((l) => (l.score ?? 1) >= MIN_LOGO_SCORE);
  return {
    store_image: labels ? labels.some((l) => STORE_LABELS.test(l)) : null,
    store_name: boundedText(logo?.description),
    // Vision does not describe images in words.
    image_description: null,
    labels: boundedLabels(labels),
    text: boundedText(r.fullTextAnnotation?.text ?? r.textAnnotations?.[0]?.description),
  };
}

export function googleVisionAdapter(): VisionAdapter {
  return {
    name: 'google-vision',
    model: null,
    async describe(req) {
      const body = {
        requests: [
          {
            image: { content: req.image.toString('base64') },
            features: [
              { type: 'LABEL_DETECTION', maxResults: 15 },
              { type: 'LOGO_DETECTION', maxResults: 3 },
              { type: 'TEXT_DETECTION' },
            ],
          },
        ],
      };
      // The key goes in a header (x-goog-api-key), not the URL, so no log of a URL carries it.
      const json = await postJson(`${req.baseUrl}/v1/images:annotate`, body, {
        headers: { 'x-goog-api-key': req.key },
        signal: req.signal,
        maxAnswerBytes: req.maxAnswerBytes,
        provider: 'Google Vision',
      });
      return parseAnnotateResponse(json);
    },
  };
}
