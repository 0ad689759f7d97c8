import { amqpUrls, ConfigError, loadSettings } from '../src';

describe('settings', () => {
  it('uses documented defaults when nothing is set', () => {
    const s = loadSettings({});
    expect(s.PORT).toBe(8080);
    expect(s.DATA_DIR).toBe('./data');
    expect(s.DATABASE_URL).toBeUndefined();
    expect(s.FETCH_ALLOW_HOSTS).toEqual([]);
    expect(s.MAX_INPUT_PIXELS).toBe(50_000_000);
  });

  it('names every bad setting at once', () => {
    let err: unknown;
    try {
      loadSettings({ PORT: 'eighty', JWT_SECRET: 'short', LOG_LEVEL: 'loud' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const names = (err as ConfigError).problems.map((p) => p.setting).sort();
    expect(names).toEqual(['LOG_LEVEL', 'PORT']);
  });

  it('refuses a JWT secret shorter than 32 bytes', () => {
    expect(() => loadSettings({ JWT_SECRET: 'x'.repeat(31) })).toThrow(/JWT_SECRET: must be at least 32 bytes/);
    expect(loadSettings({ JWT_SECRET: 'x'.repeat(32) }).JWT_SECRET).toHaveLength(32);
  });

  it('parses lists and booleans', () => {
    const s = loadSettings({
      FETCH_ALLOW_HOSTS: 'a.test, 127.0.0.1:9000,',
      S3_FORCE_PATH_STYLE: 'true',
      QUEUE_RETRY_DELAYS_MS: '10,20',
    });
    expect(s.FETCH_ALLOW_HOSTS).toEqual(['a.test', '127.0.0.1:9000']);
    expect(s.S3_FORCE_PATH_STYLE).toBe(true);
    expect(s.QUEUE_RETRY_DELAYS_MS).toEqual([10, 20]);
    expect(() => loadSettings({ QUEUE_RETRY_DELAYS_MS: '10,abc' })).toThrow(/QUEUE_RETRY_DELAYS_MS/);
  });

  it("takes one broker URL or a cluster's nodes separated by commas, and refuses anything else", () => {
    const one = 'amqp://u:p@rabbit:5672/';
    expect(amqpUrls(loadSettings({ AMQP_URL: one }).AMQP_URL!)).toEqual([one]);
    const nodes = 'amqp://u:p%2Cq@10.0.0.1:5672?heartbeat=5, amqps://u:p@10.0.0.2 ,amqp://u:p@10.0.0.3:5672,';
    expect(amqpUrls(loadSettings({ AMQP_URL: nodes }).AMQP_URL!)).toEqual([
      'amqp://u:p%2Cq@10.0.0.1:5672?heartbeat=5',
      'amqps://u:p@10.0.0.2',
      'amqp://u:p@10.0.0.3:5672',
    ]);
    for (const bad of ['rabbit:5672', 'http://rabbit:5672', 'amqp://a:5672,nonsense', ',,'])
      expect(() => loadSettings({ AMQP_URL: bad })).toThrow(/AMQP_URL: expected amqp:\/\/ or amqps:\/\/ URLs/);
  });

  it('reads TRUST_PROXY as Express takes it and refuses what proxy-addr would not understand', () => {
    expect(loadSettings({}).TRUST_PROXY).toBe(false);
    expect(loadSettings({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadSettings({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadSettings({ TRUST_PROXY: '10.0.0.0/8, loopback,fd00::/8 ,192.168.1.7' }).TRUST_PROXY).toBe(
      '10.0.0.0/8,loopback,fd00::/8,192.168.1.7',
    );
    for (const bad of ['yes please', '10.0.0.0/33', '10.0.0/8', 'fd00::/129', 'loopback,', '1.2.3.4/8/1'])
      expect(() => loadSettings({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY: expected false, true, a hop count/);
  });

  it('takes CORS_ORIGINS as exact origins only (no paths, trailing slashes or wildcards)', () => {
    expect(loadSettings({}).CORS_ORIGINS).toEqual([]);
    expect(loadSettings({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).CORS_ORIGINS).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    for (const bad of ['https://app.example.com/', 'https://*.example.com', 'app.example.com', 'ftp://x.example', '*'])
      expect(() => loadSettings({ CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS: expected exact origins/);
  });
});
