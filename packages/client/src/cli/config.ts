// Where the CLI keeps its credentials: $XDG_CONFIG_HOME/pixmill/config.json (else ~/.config), mode 0600;
// PIXMILL_URL / PIXMILL_TOKEN override it.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export type CliConfig = { url?: string; token?: string };

export const configFile = (env = process.env): string =>
  path.join(env.XDG_CONFIG_HOME || path.join(homedir(), '.config'), 'pixmill', 'config.json');

export function readConfig(env = process.env): CliConfig {
  const file = configFile(env);
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CliConfig) : {};
  return {
    ...saved,
    ...(env.PIXMILL_URL ? { url: env.PIXMILL_URL } : {}),
    ...(env.PIXMILL_TOKEN ? { token: env.PIXMILL_TOKEN } : {}),
  };
}

export function saveConfig(c: CliConfig, env = process.env): string {
  const file = configFile(env);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
