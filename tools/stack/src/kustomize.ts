import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

/** A Kubernetes object as a manifest holds it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

type Kustomization = {
  namespace?: string;
  resources?: string[];
  labels?: Array<{ pairs: Record<string, string>; includeSelectors?: boolean }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
};

/** Kinds that live outside any namespace: kustomize's namespace transformer leaves them alone. */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'RuntimeClass', 'PriorityClass', 'StorageClass']);

function containersOf(object: KubeObject): Array<{ image?: string }> {
  const pod = (object.spec as { template?: { spec?: { containers?: Array<{ image?: string }>; initContainers?: Array<{ image?: string }> } } } | undefined)?.template?.spec;
  return [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])];
}

/**
 * The objects a kustomization directory builds, for the subset of kustomize the manifests here use:
 * `resources` (files and directories, recursively), `namespace`, `labels` (metadata only, no selectors) and
 * `images` (tags). Enough to test the manifests without kubectl; `kubectl kustomize` builds the same.
 */
export function loadKustomization(dir: string): KubeObject[] {
  const file = ['kustomization.yaml', 'kustomization.yml'].map((name) => join(dir, name)).find(existsSync);
  if (!file) throw new Error(`${dir}: no kustomization.yaml`);
  const kustomization = parse(readFileSync(file, 'utf8')) as Kustomization;
  const objects: KubeObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = resolve(dirname(file), resource);
    if (existsSync(join(path, 'kustomization.yaml')) || existsSync(join(path, 'kustomization.yml'))) objects.push(...loadKustomization(path));
    else objects.push(...parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => doc.toJS() as KubeObject).filter(Boolean));
  }
  for (const object of objects) {
    if (kustomization.namespace && !CLUSTER_SCOPED.has(object.kind)) {
      object.metadata.namespace = kustomization.namespace;
      for (const subject of (object.subjects as Array<{ kind: string; namespace?: string }> | undefined) ?? []) {
        if (subject.kind === 'ServiceAccount') subject.namespace = kustomization.namespace;
      }
    }
    for (const { pairs } of kustomization.labels ?? []) object.metadata.labels = { ...object.metadata.labels, ...pairs };
    for (const container of containersOf(object)) {
      const image = kustomization.images?.find((i) => container.image === i.name || container.image?.startsWith(`${i.name}:`));
      if (image) container.image = `${image.newName ?? image.name}:${image.newTag ?? container.image!.split(':')[1] ?? 'latest'}`;
    }
  }
  return objects;
}
