import { settingsSchema, settingsShape, type Settings } from './settings';

export { settingsSchema, settingsShape, type Settings };

/** Bad configuration: names every setting that is wrong, so start-up stops with one clear message. */
export class ConfigError extends Error {
  constructor(readonly problems: { setting: string; message: string }[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.setting}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once. Empty strings count as unset. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(settingsShape)) {
    const v = env[key];
    input[key] = v === undefined || v === '' ? undefined : v;
  }
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ setting: String(i.path[0] ?? '?'), message: i.message })));
  }
  const s = parsed.data;
  const problems: { setting: string; message: string }[] = [];
  if (s.JWT_SECRET !== undefined && Buffer.byteLength(s.JWT_SECRET) < 32) {
    problems.push({ setting: 'JWT_SECRET', message: 'must be at least 32 bytes' });
  }
  if (s.S3_ENDPOINT && !s.S3_BUCKET)
    problems.push({ setting: 'S3_BUCKET', message: 'required when S3_ENDPOINT is set' });
  if (s.S3_ACCESS_KEY_ID && !s.S3_SECRET_ACCESS_KEY) {
    problems.push({ setting: 'S3_SECRET_ACCESS_KEY', message: 'required when S3_ACCESS_KEY_ID is set' });
  }
  for (const key of ['DATABASE_URL', 'REDIS_URL', 'S3_ENDPOINT', 'PUBLIC_URL'] as const) {
    const v = s[key];
    if (v !== undefined && !URL.canParse(v)) problems.push({ setting: key, message: 'is not a URL' });
  }
  if (s.AMQP_URL !== undefined) {
    const urls = amqpUrls(s.AMQP_URL);
    if (urls.length === 0 || urls.some((u) => !URL.canParse(u) || !/^amqps?:$/.test(new URL(u).protocol)))
      problems.push({ setting: 'AMQP_URL', message: 'expected amqp:// or amqps:// URLs, separated by commas' });
  }
  if (problems.length) throw new ConfigError(problems);
  return s;
}

/** The broker URLs in AMQP_URL: one, or the nodes of a cluster separated by commas (a comma in a password is %2C). */
export const amqpUrls = (value: string): string[] =>
  value
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);

export const publicUrl = (s: Settings): string => (s.PUBLIC_URL ?? `http://localhost:${s.PORT}`).replace(/\/+$/, '');
