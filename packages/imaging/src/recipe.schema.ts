// A recipe is the list of output variants a batch asks for; parsed wherever one is received.
import colour from '@img/colour';
import { z } from 'zod';

export const MAX_DIMENSION = 16384;
export const MAX_VARIANTS = 10;

/**
 * "CSS colour" as sharp judges it: sharp parses backgrounds with @img/colour after this same length check. Parsed
 * here without sharp, so a process that only validates recipes (the gateway) never loads libvips (~25 MB resident).
 */
function isColour(value: string): boolean {
  if (value.length < 3 || value.length > 200) return false;
  try {
    const c = colour(value);
    return [c.red(), c.green(), c.blue(), c.alpha()].every((n) => Number.isFinite(n));
  } catch {
    return false;
  }
}

const dimension = z.int().min(1).max(MAX_DIMENSION);

export const Variant = z.strictObject({
  /** Also the file name of the output (`<name>.<ext>`), hence the narrow alphabet. */
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9_-]+$/, 'use only a-z, 0-9, "_" and "-"'),
  width: dimension.optional(),
  height: dimension.optional(),
  fit: z.enum(['cover', 'contain', 'inside', 'outside', 'fill']).default('inside'),
  /**
   * Where to crop (cover) or place (contain); attention/entropy pick the interesting part; faces keeps the faces
   * found in the image in a cover crop (like attention where there is none).
   */
  position: z.enum(['centre', 'attention', 'entropy', 'faces']).default('centre'),
  format: z.enum(['jpeg', 'png', 'webp', 'avif', 'original']).default('original'),
  /** Unset: 80. For PNG, setting it means palette quantisation (lossy); unset PNG stays lossless. */
  quality: z.int().min(1).max(100).optional(),
  /** The output must not be larger; quality (or `quality`, when set, as the ceiling) is lowered until it fits. */
  max_bytes: z.int().min(100).optional(),
  strip_metadata: z.boolean().default(true),
  auto_orient: z.boolean().default(true),
  /** Without it an image smaller than the box keeps its size. */
  enlarge: z.boolean().default(false),
  /** Fill for `contain` (and for alpha flattened into JPEG). Unset: transparent, or white where alpha can't be. */
  background: z.string().min(1).max(100).refine(isColour, 'not a CSS colour').optional(),
});

export const Recipe = z.preprocess(
  (value) => (Array.isArray(value) ? { variants: value } : value),
  z.strictObject({ variants: z.array(Variant).min(1).max(MAX_VARIANTS) }).superRefine((recipe, ctx) => {
    const seen = new Set<string>();
    recipe.variants.forEach((v, i) => {
      if (seen.has(v.name)) {
        ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: `duplicate variant name "${v.name}"` });
      }
      seen.add(v.name);
    });
  }),
);

export type Variant = z.infer<typeof Variant>;
export type Recipe = z.infer<typeof Recipe>;
/** What a client may send: defaults not yet applied. */
export type VariantInput = z.input<typeof Variant>;

/** Keeps the size and format, re-encodes at quality 50. Frozen: it is shared by every caller. */
export const defaultRecipe: Recipe = (() => {
  const recipe = Recipe.parse({ variants: [{ name: 'default', quality: 50 }] });
  recipe.variants.forEach((v) => Object.freeze(v));
  Object.freeze(recipe.variants);
  return Object.freeze(recipe);
})();

export class RecipeError extends Error {
  override readonly name = 'RecipeError';
  readonly code = 'invalid_recipe';
  constructor(
    message: string,
    readonly details: z.core.$ZodIssue[] = [],
  ) {
    super(message);
  }
}

const describe = (issue: z.core.$ZodIssue): string => {
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
};

/** A recipe from a JSON string or an already-parsed value (an object, or a bare array of variants). */
export function parseRecipe(input: unknown): Recipe {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new RecipeError(`recipe is not valid JSON: ${(err as Error).message}`);
    }
  }
  const parsed = Recipe.safeParse(value);
  if (!parsed.success) {
    throw new RecipeError(`invalid recipe: ${parsed.error.issues.map(describe).join('; ')}`, parsed.error.issues);
  }
  return parsed.data;
}
