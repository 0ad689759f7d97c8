// An OpenAI-compatible chat completions endpoint with a vision model (OpenAI, or a local server speaking its API):
// asked for a JSON object, which is validated like any stranger's input.
import { z } from 'zod';
import { ProviderError } from '../analysis.error';
import { postJson } from './http-exchange';
import { boundedLabels, boundedText, type ProviderAnswer, type VisionAdapter } from './provider';

export const OPENAI_URL = 'https://api.openai.com/v1';

export const DESCRIBE_PROMPT = [
  'Look at the image and answer with one JSON object and nothing else, with these keys:',
  '"store_image": true if it shows a shop or store front (or its sign), false if not;',
  '"store_name": the name of that store as written in the image, or null;',
  '"image_description": one sentence describing the image;',
  '"labels": up to 10 short lower-case labels of what is in it;',
  '"text": the text visible in the image, or null if there is none.',
  'Use null for anything you cannot tell. Do not guess a store name that is not written.',
].join('\n');

const ChatCompletion = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
});

const Answer = z.object({
  store_image: z.boolean().nullable().optional(),
  store_name: z.string().max(2000).nullable().optional(),
  image_description: z.string().max(5000).nullable().optional(),
  labels: z.array(z.string().max(200)).max(100).nullable().optional(),
  text: z.string().max(20_000).nullable().optional(),
});

/** The model's JSON, also when it wrapped it in a ```json fence despite being asked not to. */
function jsonOfContent(content: string): unknown {
  const fenced = content.match(/```(?:json)?\s*([\s\S]*?)```/);
  return JSON.parse((fenced?.[1] ?? content).trim());
}

export function parseChatCompletion(json: unknown): ProviderAnswer {
  const parsed = ChatCompletion.safeParse(json);
  if (!parsed.success) throw new ProviderError('provider_bad_answer', 'answer is not a chat completion', false);
  const choice = parsed.data.choices[0]!;
  if (choice.finish_reason === 'length')
    throw new ProviderError('provider_bad_answer', 'the model ran out of tokens', false);
  let answer: z.infer<typeof Answer>;
  try {
    const a = Answer.safeParse(jsonOfContent(choice.message.content ?? ''));
    if (!a.success) throw new Error(a.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    answer = a.data;
  } catch (err) {
    throw new ProviderError(
      'provider_bad_answer',
      `the model did not answer the JSON asked for (${(err as Error).message.slice(0, 200)})`,
      false,
    );
  }
  return {
    store_image: answer.store_image ?? null,
    store_name: boundedText(answer.store_name),
    image_description: boundedText(answer.image_description),
    labels: boundedLabels(answer.labels),
    text: boundedText(answer.text),
  };
}

export function openAiVisionAdapter(model: string): VisionAdapter {
  return {
    name: 'openai',
    model,
    async describe(req) {
      const body = {
        model,
        temperature: 0,
        max_tokens: 800,
        response_format: { type: 'json_object' },
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: DESCRIBE_PROMPT },
              { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${req.image.toString('base64')}` } },
            ],
          },
        ],
      };
      const json = await postJson(`${req.baseUrl}/chat/completions`, body, {
        headers: { authorization: `Bearer ${req.key}` },
        signal: req.signal,
        maxAnswerBytes: req.maxAnswerBytes,
        provider: 'the OpenAI-compatible endpoint',
      });
      return parseChatCompletion(json);
    },
  };
}
