// Reads a docker compose .env file (KEY=value lines, # comments) and interpolates ${VAR} forms in compose values.

export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`not a KEY=value line: ${line}`);
    let value = (m[2] as string).trim();
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    out[m[1] as string] = value;
  }
  return out;
}

export type Interpolation = { value: string; required: string[]; referenced: string[] };

/**
 * Compose's interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$$` for
 * a literal `$`. Throws, like compose, when a required variable is unset or empty.
 */
export function interpolate(input: string, vars: Record<string, string | undefined>): Interpolation {
  const required: string[] = [];
  const referenced: string[] = [];
  const value = input.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const key = (name ?? bare) as string;
      referenced.push(key);
      const v = vars[key];
      const missing = colon ? v === undefined || v === '' : v === undefined;
      if (op === '-') return missing ? (arg ?? '') : (v as string);
      if (op === '?') {
        required.push(key);
        if (missing) throw new Error(`required variable ${key} is not set: ${arg ?? ''}`);
        return v as string;
      }
      return v ?? '';
    },
  );
  return { value, required, referenced };
}
