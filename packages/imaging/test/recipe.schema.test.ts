import sharp from 'sharp';
import { defaultRecipe, parseRecipe, RecipeError } from '../src';

/** The RecipeError parseRecipe throws for `input` (fails the test if it doesn't throw one). */
function refusal(input: unknown): RecipeError {
  try {
    parseRecipe(input);
  } catch (err) {
    if (err instanceof RecipeError) return err;
    throw err;
  }
  throw new Error('parseRecipe accepted the input');
}

describe('parseRecipe', () => {
  it('fills every default of a minimal variant', () => {
    expect(parseRecipe({ variants: [{ name: 'thumb', width: 200 }] })).toEqual({
      variants: [
        {
          name: 'thumb',
          width: 200,
          fit: 'inside',
          position: 'centre',
          format: 'original',
          strip_metadata: true,
          auto_orient: true,
          enlarge: false,
        },
      ],
    });
  });

  it('accepts a bare array of variants and a JSON string', () => {
    const fromArray = parseRecipe([{ name: 'a', format: 'webp', quality: 70 }]);
    expect(fromArray.variants.map((v) => [v.name, v.format, v.quality])).toEqual([['a', 'webp', 70]]);
    const fromJson = parseRecipe('{"variants":[{"name":"b","height":10,"fit":"cover","max_bytes":5000}]}');
    expect(fromJson.variants[0]).toMatchObject({ name: 'b', height: 10, fit: 'cover', max_bytes: 5000 });
  });

  it('accepts CSS colours for the background', () => {
    for (const background of ['#fff', '#ff000080', 'rgba(0,0,0,0.5)', 'white']) {
      expect(
        parseRecipe([{ name: 'a', fit: 'contain', width: 5, height: 5, background }]).variants[0]?.background,
      ).toBe(background);
    }
  });

  it('judges background colours exactly as sharp does (it is parsed without loading sharp)', () => {
    const candidates = [
      '#fff',
      '#FFF',
      '#ff000080',
      'rgb(1,2,3)',
      'rgba(0,0,0,0.5)',
      'hsl(120, 50%, 50%)',
      'white',
      'transparent',
      'ReBeccaPurple',
      'sparkly',
      '#ff',
      '#12345',
      'rgb(1,2)',
      'rgb(300,0,0)',
      '',
      'red ',
      '#'.repeat(201),
      'blue;',
      `rgb(1, 2,${' '.repeat(200)}3)`,
      'hwb(0 0% 0%)',
      '0xff0000',
      '#ff0000ff00',
    ];
    for (const background of candidates) {
      let sharpAccepts = true;
      try {
        sharp({ create: { width: 1, height: 1, channels: 4, background } });
      } catch {
        sharpAccepts = false;
      }
      let recipeAccepts = true;
      try {
        parseRecipe([{ name: 'a', fit: 'contain', width: 5, height: 5, background }]);
      } catch {
        recipeAccepts = false;
      }
      expect({ background, accepted: recipeAccepts }).toEqual({ background, accepted: sharpAccepts });
    }
  });

  it.each<[string, unknown, string]>([
    ['quality above 100', [{ name: 'a', quality: 101 }], 'variants.0.quality'],
    ['quality not an integer', [{ name: 'a', quality: 50.5 }], 'variants.0.quality'],
    ['a name with capitals and spaces', [{ name: 'My Thumb' }], 'variants.0.name'],
    ['a name longer than 64', [{ name: 'a'.repeat(65) }], 'variants.0.name'],
    ['width 0', [{ name: 'a', width: 0 }], 'variants.0.width'],
    ['height above 16384', [{ name: 'a', height: 16385 }], 'variants.0.height'],
    ['an unknown fit', [{ name: 'a', fit: 'stretch' }], 'variants.0.fit'],
    ['an unknown format', [{ name: 'a', format: 'bmp' }], 'variants.0.format'],
    ['max_bytes below 100', [{ name: 'a', max_bytes: 99 }], 'variants.0.max_bytes'],
    ['a background that is no colour', [{ name: 'a', background: 'sparkly' }], 'variants.0.background'],
    ['a misspelt key', [{ name: 'a', maxBytes: 1000 }], 'maxBytes'],
    ['a duplicate name', [{ name: 'a' }, { name: 'a' }], 'variants.1.name'],
    ['no variants', { variants: [] }, 'variants'],
    ['eleven variants', Array.from({ length: 11 }, (_, i) => ({ name: `v${i}` })), 'variants'],
  ])('refuses %s and names the field', (_what, input, field) => {
    const err = refusal(input);
    expect(err.code).toBe('invalid_recipe');
    expect(err.message).toContain(field);
    expect(err.details.length).toBeGreaterThan(0);
  });

  it('gives zod issues with paths as details', () => {
    const err = refusal({ variants: [{ name: 'ok' }, { name: 'x', quality: 0 }] });
    expect(err.details).toEqual([expect.objectContaining({ path: ['variants', 1, 'quality'] })]);
  });

  it('refuses invalid JSON, null and a non-recipe value', () => {
    expect(refusal('{"variants": [').message).toMatch(/not valid JSON/);
    expect(refusal(null)).toBeInstanceOf(RecipeError);
    expect(refusal(42)).toBeInstanceOf(RecipeError);
  });
});

describe('defaultRecipe', () => {
  it('is one variant that keeps size and format at quality 50', () => {
    expect(defaultRecipe.variants).toHaveLength(1);
    expect(defaultRecipe.variants[0]).toMatchObject({ name: 'default', format: 'original', quality: 50 });
    expect(defaultRecipe.variants[0]?.width).toBeUndefined();
    expect(defaultRecipe.variants[0]?.height).toBeUndefined();
  });

  it('cannot be changed by a caller', () => {
    expect(() => {
      (defaultRecipe.variants[0] as { quality?: number }).quality = 90;
    }).toThrow(TypeError);
  });
});
