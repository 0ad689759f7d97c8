// The Node.js versions pixmill supports: the root package.json's `engines` is the one statement of the range; the
// Docker images, the README, the Node types the code is checked against, and every installed dependency agree with it.
import semver from 'semver';
import { parse as parseYaml } from 'yaml';
import { parseDockerfile, readRepoFile } from '../src';

const engines = (JSON.parse(readRepoFile('package.json')) as { engines: { node: string } }).engines.node;
const oldest = semver.minVersion(engines)!.version;
const imageVersion = parseDockerfile(readRepoFile('Dockerfile')).globalArgs.NODE_VERSION ?? '';

type Lockfile = {
  catalogs: { default: Record<string, { version: string }> };
  packages: Record<string, { engines?: { node?: string }; os?: string[] }>;
};
const lock = parseYaml(readRepoFile('pnpm-lock.yaml')) as Lockfile;

describe('supported Node.js versions', () => {
  it('the Docker images run an even-numbered (LTS) release inside the supported range, 22 or newer', () => {
    expect(semver.valid(imageVersion)).toBe(imageVersion);
    expect(semver.satisfies(imageVersion, engines)).toBe(true);
    expect(semver.major(imageVersion) % 2).toBe(0);
    expect(semver.major(imageVersion)).toBeGreaterThanOrEqual(22);
  });

  it('the code is type-checked against the oldest supported version, so an API missing there does not compile', () => {
    const types = lock.catalogs.default['@types/node']!.version;
    expect(`${semver.major(types)}.${semver.minor(types)}`).toBe(`${semver.major(oldest)}.${semver.minor(oldest)}`);
  });

  it('every dependency installed on Linux that declares its Node versions accepts the oldest supported and the image version', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([, p]) => p.engines?.node !== undefined && (p.os === undefined || p.os.includes('linux')))
      .filter(([, p]) =>
        [oldest, imageVersion].some((v) => !semver.satisfies(v, p.engines!.node!, { includePrerelease: true })),
      )
      .map(([name, p]) => `${name} wants node ${p.engines!.node}`);
    expect(refusing).toEqual([]);
  });

  it('the README states the range as package.json does', () => {
    expect(readRepoFile('README.md')).toContain(`\`${engines}\``);
  });
});
