// Logging in to a gateway a benchmark started: the Authorization header of the user's bearer token.
import { readData } from '@pixmill/gateway/testing';
export async function login(base: string, username: string, password: string): Promise<Record<string, string>> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return { Authorization: `Bearer ${((await readData(res)) as { access_token: string }).access_token}` };
}
