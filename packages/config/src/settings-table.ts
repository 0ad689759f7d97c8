import { settingsShape } from './settings';

/** The README's settings table, made from the settings themselves so the two cannot drift apart. */
export function settingsTable(): string {
  const rows = Object.entries(settingsShape).map(([name, schema]) => {
    const parsed = (schema as { safeParse(v: unknown): { success: boolean; data?: unknown } }).safeParse(undefined);
    const value = parsed.success ? parsed.data : undefined;
    const def =
      value === undefined ? '—' : Array.isArray(value) ? (value.length ? value.join(',') : '(empty)') : String(value);
    return `| \`${name}\` | ${def === '—' ? def : `\`${def}\``} | ${schema.description ?? ''} |`;
  });
  return ['| setting | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
