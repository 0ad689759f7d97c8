import { Writable } from 'node:stream';
import { createLogger, scrubSecrets } from '../src';

function captured() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, log: createLogger('logger-test', 'debug', stream) };
}

describe('log lines keep no secrets', () => {
  it('scrubs signed-link and presigned parameters, URL passwords, bearer tokens, API keys, webhook secrets, JWTs', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ';
    expect(scrubSecrets('GET /files/a/b.jpg?exp=1700000000&sig=abc123DEF_-')).toBe(
      'GET /files/a/b.jpg?exp=1700000000&sig=[redacted]',
    );
    expect(scrubSecrets('"url":"/api/v1/batches/x/results.csv?token=1700.AbC-_d&x=1"')).toBe(
      '"url":"/api/v1/batches/x/results.csv?token=[redacted]&x=1"',
    );
    expect(
      scrubSecrets('https://b.s3/k?X-Amz-Credential=AKIA%2F&X-Amz-Signature=deadbeef&X-Amz-Security-Token=t'),
    ).toBe('https://b.s3/k?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&X-Amz-Security-Token=[redacted]');
    expect(scrubSecrets('connect amqp://guest:hunter2@127.0.0.1:5672 failed')).toBe(
      'connect amqp://guest:[redacted]@127.0.0.1:5672 failed',
    );
    expect(scrubSecrets(`Authorization: Bearer ${jwt}`)).toBe('Authorization: Bearer [redacted]');
    expect(scrubSecrets(`token ${jwt} seen`)).toBe('token [redacted] seen');
    expect(scrubSecrets('key pmk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde used')).toBe('key pmk_[redacted] used');
    expect(scrubSecrets('secret whsec_c2VjcmV0K3NlY3JldA== made')).toBe('secret whsec_[redacted] made');
    // Nothing else changes.
    const plain = '{"url":"/api/v1/batches?page=2&status=completed","msg":"request completed"}';
    expect(scrubSecrets(plain)).toBe(plain);
  });

  it('redacts secret fields and headers in logged objects, and scrubs messages and errors', () => {
    const { lines, log } = captured();
    log.info({ password: 'p@ss-1', user: { password: 'p@ss-2', name: 'alice' } }, 'login');
    log.info({ req: { headers: { authorization: 'Basic YWxpY2U6cEBzcw==', 'x-api-key': 'k-123' } } }, 'headers');
    log.warn({ webhookSecret: 'plain-secret-1', batch: { webhook_secret: 'plain-secret-2' } }, 'batch');
    log.error({ err: new Error('GET https://cdn.test/a.jpg?token=tok-9 failed') }, 'fetch failed for ?sig=s-9');
    const text = lines.join('\n');
    for (const secret of [
      'p@ss-1',
      'p@ss-2',
      'YWxpY2U6cEBzcw',
      'k-123',
      'plain-secret-1',
      'plain-secret-2',
      'tok-9',
      's-9',
    ])
      expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0]!)).toMatchObject({ password: '[redacted]', user: { name: 'alice' } });
    expect(JSON.parse(lines[3]!)).toMatchObject({
      err: { message: 'GET https://cdn.test/a.jpg?token=[redacted] failed' },
    });
  });
});
