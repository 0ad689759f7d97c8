// The recipe of a batch: its output variants, edited as a table, starting from a preset.
import { TableWrap } from './bits';

export type Variant = {
  name: string;
  width?: number;
  height?: number;
  fit: 'cover' | 'contain' | 'inside' | 'outside' | 'fill';
  format: 'jpeg' | 'png' | 'webp' | 'avif' | 'original';
  quality?: number;
};

export const PRESETS: Record<string, { label: string; variants: Variant[] }> = {
  thumbnail: {
    label: 'Thumbnail',
    variants: [{ name: 'thumb', width: 300, height: 300, fit: 'cover', format: 'webp', quality: 70 }],
  },
  web: {
    label: 'Web',
    variants: [
      { name: 'web', width: 1600, fit: 'inside', format: 'jpeg', quality: 80 },
      { name: 'thumb', width: 400, height: 400, fit: 'cover', format: 'webp', quality: 70 },
    ],
  },
  avif: {
    label: 'AVIF',
    variants: [{ name: 'avif', width: 1600, fit: 'inside', format: 'avif', quality: 50 }],
  },
};

const FITS: Variant['fit'][] = ['cover', 'contain', 'inside', 'outside', 'fill'];
const FORMATS: Variant['format'][] = ['jpeg', 'png', 'webp', 'avif', 'original'];

/** The recipe as the API takes it (empty sizes left out). */
export function recipeJson(variants: Variant[]): string {
  return JSON.stringify({
    variants: variants.map((v) => ({
      name: v.name,
      ...(v.width ? { width: v.width } : {}),
      ...(v.height ? { height: v.height } : {}),
      fit: v.fit,
      format: v.format,
      ...(v.quality ? { quality: v.quality } : {}),
    })),
  });
}

const num = (s: string) => (s.trim() === '' ? undefined : Number(s));

export function RecipeEditor(props: { variants: Variant[]; onChange: (v: Variant[]) => void; error?: string }) {
  const { variants, onChange } = props;
  const set = (i: number, patch: Partial<Variant>) =>
    onChange(variants.map((v, j) => (j === i ? { ...v, ...patch } : v)));
  return (
    <fieldset class="recipe">
      <legend>Recipe</legend>
      <div class="presets" role="group" aria-label="Presets">
        {Object.entries(PRESETS).map(([key, p]) => (
          <button key={key} type="button" class="secondary" onClick={() => onChange(p.variants.map((v) => ({ ...v })))}>
            {p.label}
          </button>
        ))}
      </div>
      <TableWrap label="Output variants">
        <table class="variants">
          <caption class="sr-only">Output variants</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Width</th>
              <th scope="col">Height</th>
              <th scope="col">Fit</th>
              <th scope="col">Format</th>
              <th scope="col">Quality</th>
              <th scope="col">
                <span class="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {variants.map((v, i) => (
              <tr key={i}>
                <td>
                  <input
                    aria-label={`Variant ${i + 1} name`}
                    value={v.name}
                    required
                    pattern="[A-Za-z0-9_-]+"
                    onInput={(e) => set(i, { name: e.currentTarget.value })}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Variant ${i + 1} width`}
                    type="number"
                    min={1}
                    max={16384}
                    value={v.width ?? ''}
                    onInput={(e) => set(i, { width: num(e.currentTarget.value) })}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Variant ${i + 1} height`}
                    type="number"
                    min={1}
                    max={16384}
                    value={v.height ?? ''}
                    onInput={(e) => set(i, { height: num(e.currentTarget.value) })}
                  />
                </td>
                <td>
                  <select
                    aria-label={`Variant ${i + 1} fit`}
                    value={v.fit}
                    onChange={(e) => set(i, { fit: e.currentTarget.value as Variant['fit'] })}
                  >
                    {FITS.map((f) => (
                      <option key={f}>{f}</option>
                    ))}
                  </select>
                </td>
                <td>
                  <select
                    aria-label={`Variant ${i + 1} format`}
                    value={v.format}
                    onChange={(e) => set(i, { format: e.currentTarget.value as Variant['format'] })}
                  >
                    {FORMATS.map((f) => (
                      <option key={f}>{f}</option>
                    ))}
                  </select>
                </td>
                <td>
                  <input
                    aria-label={`Variant ${i + 1} quality`}
                    type="number"
                    min={1}
                    max={100}
                    value={v.quality ?? ''}
                    onInput={(e) => set(i, { quality: num(e.currentTarget.value) })}
                  />
                </td>
                <td>
                  <button
                    type="button"
                    class="link"
                    disabled={variants.length <= 1}
                    onClick={() => onChange(variants.filter((_, j) => j !== i))}
                  >
                    Remove<span class="sr-only"> variant {i + 1}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      <button
        type="button"
        class="secondary"
        onClick={() =>
          onChange([...variants, { name: `v${variants.length + 1}`, width: 800, fit: 'inside', format: 'webp' }])
        }
      >
        Add variant
      </button>
      {props.error && (
        <p class="error" role="alert" id="recipe-error">
          {props.error}
        </p>
      )}
    </fieldset>
  );
}
