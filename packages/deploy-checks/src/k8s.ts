// Loads the manifests of k8s/ (through its kustomization) and validates each object against the Kubernetes
// OpenAPI schemas (npm kubernetes-models) or KEDA's CRD schemas (@kubernetes-models/keda).
import { parseAllDocuments } from 'yaml';
import { readRepoFile } from './repo';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  [key: string]: unknown;
};

export type LoadedObject = { file: string; object: K8sObject };

/** Parses a YAML file strictly: duplicate keys and syntax errors throw, naming the file. */
export function parseYamlDocuments(text: string, file: string): unknown[] {
  return parseAllDocuments(text, { uniqueKeys: true, merge: true, prettyErrors: true }).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    return value === null || value === undefined ? [] : [value];
  });
}

export type Kustomization = {
  namespace?: string;
  resources: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
};

export function loadKustomization(): Kustomization {
  const [k] = parseYamlDocuments(readRepoFile('k8s/kustomization.yaml'), 'k8s/kustomization.yaml') as Kustomization[];
  if (!k || !Array.isArray(k.resources)) throw new Error('k8s/kustomization.yaml has no resources');
  return k;
}

/** Every object of every resource the kustomization lists, in order. */
export function loadManifests(): LoadedObject[] {
  return loadKustomization().resources.flatMap((file) =>
    parseYamlDocuments(readRepoFile('k8s', file), `k8s/${file}`).map((object) => ({
      file,
      object: object as K8sObject,
    })),
  );
}

type Validatable = { validate(): void };
type ModelClass = new (data: unknown) => Validatable;

/** The model class of an apiVersion/kind: core (v1), a built-in group, or KEDA's. */
export function modelFor(apiVersion: string, kind: string): ModelClass {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const candidates = group?.endsWith('keda.sh')
    ? [`@kubernetes-models/keda/${group}/${version}/${kind}`]
    : [group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`];
  for (const id of candidates) {
    let mod: Record<string, unknown>;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(id) as Record<string, unknown>;
    } catch {
      continue;
    }
    const cls = mod[kind];
    if (typeof cls === 'function') return cls as ModelClass;
  }
  throw new Error(`no schema for ${apiVersion} ${kind}`);
}

/** Validates one object; throws with the schema's complaints. */
export function validateObject(o: K8sObject): void {
  const Model = modelFor(o.apiVersion, o.kind);
  new Model(o).validate();
}

export const byKind = <T = K8sObject>(objects: LoadedObject[], kind: string): T[] =>
  objects.filter((o) => o.object.kind === kind).map((o) => o.object as unknown as T);
