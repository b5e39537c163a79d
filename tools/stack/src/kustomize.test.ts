import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKustomization } from './kustomize.js';

const root = mkdtempSync(join(tmpdir(), 'kustomize-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string) {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
}

describe('loadKustomization', () => {
  write('base/kustomization.yaml', 'namespace: lab\nlabels:\n  - pairs: { team: power }\nresources: [ns.yaml, app.yaml]\nimages:\n  - name: exporter\n    newTag: "1.2.3"\n');
  write('base/ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: { name: lab }\n');
  write(
    'base/app.yaml',
    'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: app, labels: { a: b } }\nspec:\n  selector: { matchLabels: { a: b } }\n  template:\n    metadata: { labels: { a: b } }\n    spec:\n      containers: [{ name: c, image: exporter }, { name: d, image: "other:9" }]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: rb }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: r }\nsubjects: [{ kind: ServiceAccount, name: sa }]\n',
  );
  write('overlay/kustomization.yaml', 'namespace: lab\nresources: [../base, extra.yaml]\n');
  write('overlay/extra.yaml', 'apiVersion: v1\nkind: Service\nmetadata: { name: svc }\nspec: { ports: [{ port: 1 }] }\n');

  it('reads resources recursively, sets the namespace on namespaced objects and their ServiceAccount subjects', () => {
    const objects = loadKustomization(join(root, 'overlay'));
    expect(objects.map((o) => [o.kind, o.metadata.name, o.metadata.namespace])).toEqual([
      ['Namespace', 'lab', undefined],
      ['DaemonSet', 'app', 'lab'],
      ['RoleBinding', 'rb', 'lab'],
      ['Service', 'svc', 'lab'],
    ]);
    expect(objects[2]!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'sa', namespace: 'lab' }]);
  });

  it('adds labels to metadata only (selectors untouched) and retags the named image only', () => {
    const app = loadKustomization(join(root, 'base')).find((o) => o.kind === 'DaemonSet')!;
    expect(app.metadata.labels).toEqual({ a: 'b', team: 'power' });
    const spec = app.spec as { selector: { matchLabels: object }; template: { spec: { containers: Array<{ image: string }> } } };
    expect(spec.selector.matchLabels).toEqual({ a: 'b' });
    expect(spec.template.spec.containers.map((c) => c.image)).toEqual(['exporter:1.2.3', 'other:9']);
  });

  it('says so when a directory has no kustomization', () => {
    expect(() => loadKustomization(join(root, 'base', 'missing'))).toThrow(/no kustomization\.yaml/);
  });
});
