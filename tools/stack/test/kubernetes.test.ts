// infra/kubernetes: every object the kustomizations build validates against the Kubernetes schemas
// (kubernetes-models) or, for the operators' CRDs, the ServiceMonitor schema and a minimal VMServiceScrape
// check; and the manifests hold what the issue asks of them: the CPU exporter reads the host's powercap
// read-only, sees host PIDs, runs as root with every capability dropped on a read-only root, probed on
// /health; the GPU exporter runs on GPU nodes only under the NVIDIA runtime class; the scrapes run every
// second and name the node as `instance`; the vmagent example is sharded with a persistent buffer. The
// schemas catch wrong types and missing required fields, not unknown fields (kubernetes-models allows them):
// the security settings are therefore compared whole.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { which, findBinary } from '../src/binaries.js';
import { loadKustomization, type KubeObject } from '../src/kustomize.js';
import { repoRoot } from '../src/paths.js';
import { parseEnvFile } from '../src/scrape-config.js';

const dir = join(repoRoot, 'infra/kubernetes');
const OVERLAYS = ['base', 'prometheus-operator', 'victoriametrics-operator', 'vmagent'] as const;
const built = Object.fromEntries(OVERLAYS.map((o) => [o, loadKustomization(join(dir, o))])) as Record<(typeof OVERLAYS)[number], KubeObject[]>;
const all = Object.values(built).flat();

const work = mkdtempSync(join(tmpdir(), 'kubernetes-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The schema validators, by apiVersion/kind. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/StatefulSet': StatefulSet,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/** What the VictoriaMetrics operator's VMServiceScrape needs (no published model to validate it with). */
function checkVmServiceScrape(object: KubeObject): string[] {
  const spec = object.spec as { selector?: { matchLabels?: Record<string, string> }; endpoints?: Array<Record<string, unknown>> } | undefined;
  const problems: string[] = [];
  const allowed = new Set(['port', 'targetPort', 'path', 'scheme', 'interval', 'scrapeTimeout', 'relabelConfigs', 'metricRelabelConfigs', 'honorLabels', 'params']);
  if (object.apiVersion !== 'operator.victoriametrics.com/v1beta1') problems.push(`apiVersion ${object.apiVersion}`);
  if (!spec?.selector?.matchLabels || Object.keys(spec.selector.matchLabels).length === 0) problems.push('no spec.selector.matchLabels');
  if (!spec?.endpoints?.length) problems.push('no spec.endpoints');
  for (const endpoint of spec?.endpoints ?? []) {
    for (const key of Object.keys(endpoint)) if (!allowed.has(key)) problems.push(`unknown endpoint field ${key}`);
    if (typeof endpoint.port !== 'string') problems.push('endpoint.port is not a port name');
    for (const duration of [endpoint.interval, endpoint.scrapeTimeout]) if (duration !== undefined && !/^\d+(ms|s|m)$/.test(String(duration))) problems.push(`bad duration ${String(duration)}`);
  }
  return problems;
}

function validate(object: KubeObject): string[] {
  if (object.kind === 'VMServiceScrape') return checkVmServiceScrape(object);
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) return [`no validator for ${object.apiVersion}/${object.kind}`];
  try {
    new Model(object as never).validate();
    return [];
  } catch (error) {
    return [String((error as Error).message)];
  }
}

const find = (objects: KubeObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name}`);
  return found;
};
type Workload = { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: IPodSpec } } };
const podOf = (object: KubeObject) => (object as unknown as Workload).spec.template.spec;

describe('infra/kubernetes', () => {
  it('builds each kustomization: the exporters, and with each overlay their scraper, all in one namespace', () => {
    const kinds = (objects: KubeObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds(built.base)).toEqual(['DaemonSet/cpu-exporter', 'DaemonSet/gpu-exporter', 'Namespace/power-exporters', 'Service/cpu-exporter', 'Service/gpu-exporter']);
    expect(kinds(built['prometheus-operator'])).toEqual([...kinds(built.base), 'ServiceMonitor/cpu-exporter', 'ServiceMonitor/gpu-exporter'].sort());
    expect(kinds(built['victoriametrics-operator'])).toEqual([...kinds(built.base), 'VMServiceScrape/cpu-exporter', 'VMServiceScrape/gpu-exporter'].sort());
    expect(kinds(built.vmagent)).toEqual(
      [...kinds(built.base), 'ConfigMap/vmagent-config', 'Role/vmagent-discovery', 'RoleBinding/vmagent-discovery', 'Service/vmagent', 'ServiceAccount/vmagent', 'StatefulSet/vmagent'].sort(),
    );
    expect(kinds(loadKustomization(dir))).toEqual(kinds(built.base));
    for (const object of all) if (object.kind !== 'Namespace') expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe('power-exporters');
  });

  it('validates every object against its schema', () => {
    for (const object of all) expect(validate(object), `${object.kind}/${object.metadata.name}`).toEqual([]);
  });

  it('whereas an object with a wrong field type, or a VMServiceScrape with a typo, fails validation (the check can fail)', () => {
    const ds = structuredClone(find(built.base, 'DaemonSet', 'cpu-exporter'));
    (podOf(ds).containers[0]!.ports![0] as { containerPort: unknown }).containerPort = 'metrics';
    expect(validate(ds).join()).toMatch(/containerPort/);
    const scrape = structuredClone(find(built['victoriametrics-operator'], 'VMServiceScrape', 'cpu-exporter'));
    (scrape.spec as { endpoints: Array<Record<string, unknown>> }).endpoints[0]!.scrape_interval = '1s';
    expect(validate(scrape)).toEqual(['unknown endpoint field scrape_interval']);
  });

  it('CPU exporter: host powercap read-only, host PIDs, root only for energy_uj, no capability, read-only root, probes on /health', () => {
    const ds = find(built.base, 'DaemonSet', 'cpu-exporter');
    const pod = podOf(ds);
    const [container] = pod.containers;
    expect(pod.hostPID).toBe(true);
    expect(pod.hostNetwork).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container!.args).toEqual(['--port', '9510', '--sysfs-root', '/host/sys']);
    expect(container!.securityContext).toEqual({
      runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] },
    });
    const hostPaths = Object.fromEntries((pod.volumes ?? []).filter((v) => v.hostPath).map((v) => [v.name, v.hostPath!.path]));
    expect(hostPaths).toEqual({ 'powercap-class': '/sys/class/powercap', 'sys-devices-virtual': '/sys/devices/virtual' });
    for (const mount of container!.volumeMounts ?? []) if (hostPaths[mount.name]) expect(mount.readOnly, mount.name).toBe(true);
    expect((container!.volumeMounts ?? []).filter((m) => hostPaths[m.name]).map((m) => m.mountPath).sort()).toEqual(['/host/sys/class/powercap', '/host/sys/devices/virtual']);
    for (const probe of [container!.livenessProbe, container!.readinessProbe]) expect(probe?.httpGet).toEqual({ path: '/health', port: 'metrics' });
    expect(container!.ports).toEqual([{ name: 'metrics', containerPort: 9510, protocol: 'TCP' }]);
    expect(container!.image).toBe('power-exporters/cpu-exporter:0.1.0');
  });

  it('GPU exporter: GPU nodes only, the NVIDIA runtime class, unprivileged, read-only root, probes on /health, no GPU taken', () => {
    const pod = podOf(find(built.base, 'DaemonSet', 'gpu-exporter'));
    const [container] = pod.containers;
    expect(pod.runtimeClassName).toBe('nvidia');
    expect(pod.nodeSelector).toMatchObject({ 'nvidia.com/gpu.present': 'true' });
    expect(pod.hostPID).toBeUndefined();
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(container!.securityContext).toMatchObject({ privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container!.securityContext?.capabilities?.add).toBeUndefined();
    expect(container!.env).toEqual(expect.arrayContaining([{ name: 'NVIDIA_DRIVER_CAPABILITIES', value: 'utility' }, { name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' }]));
    expect(JSON.stringify(container!.resources)).not.toContain('nvidia.com/gpu');
    expect((pod.volumes ?? []).filter((v) => v.hostPath)).toEqual([]);
    for (const probe of [container!.livenessProbe, container!.readinessProbe]) expect(probe?.httpGet).toEqual({ path: '/health', port: 'metrics' });
    expect(container!.ports).toEqual([{ name: 'metrics', containerPort: 9511, protocol: 'TCP' }]);
  });

  it('Services select their DaemonSet’s pods on its named port; the ServiceMonitors and VMServiceScrapes select the Services, every second, the node as instance', () => {
    for (const name of ['cpu-exporter', 'gpu-exporter']) {
      const ds = find(built.base, 'DaemonSet', name) as unknown as Workload;
      const service = find(built.base, 'Service', name) as unknown as { metadata: { labels: Record<string, string> }; spec: { clusterIP: string; selector: Record<string, string>; ports: Array<{ name: string; targetPort: string }> } };
      expect(service.spec.selector).toEqual(ds.spec.selector.matchLabels);
      expect(ds.spec.template.metadata.labels).toMatchObject(ds.spec.selector.matchLabels);
      expect(service.spec.clusterIP).toBe('None');
      expect(service.spec.ports).toMatchObject([{ name: 'metrics', targetPort: 'metrics' }]);
      for (const [overlay, kind, relabel] of [['prometheus-operator', 'ServiceMonitor', 'relabelings'], ['victoriametrics-operator', 'VMServiceScrape', 'relabelConfigs']] as const) {
        const scrape = find(built[overlay], kind, name) as unknown as { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<Record<string, unknown>> } };
        expect(service.metadata.labels, `${kind}/${name}`).toMatchObject(scrape.spec.selector.matchLabels);
        expect(scrape.spec.endpoints).toEqual([
          { port: 'metrics', path: '/metrics', interval: '1s', scrapeTimeout: '800ms', [relabel]: [{ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'instance' }] },
        ]);
      }
    }
  });

  it('vmagent example: a StatefulSet of N shards (memberNum from the pod name), a persistent buffer, the infra/vmagent jobs at 1 s', () => {
    const sts = find(built.vmagent, 'StatefulSet', 'vmagent') as unknown as { spec: { replicas: number; volumeClaimTemplates: Array<{ metadata: { name: string } }> } & Workload['spec'] };
    const [container] = sts.spec.template.spec.containers;
    const args = container!.args ?? [];
    expect(args).toContain(`-promscrape.cluster.membersCount=${sts.spec.replicas}`);
    expect(sts.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(args).toContain('-promscrape.cluster.memberNum=$(POD_NAME)');
    expect(container!.env).toEqual([{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]);
    expect(args).toContain('-remoteWrite.tmpDataPath=/vmagent-data');
    expect(container!.volumeMounts).toContainEqual({ name: 'buffer', mountPath: '/vmagent-data' });
    expect(sts.spec.volumeClaimTemplates.map((c) => c.metadata.name)).toEqual(['buffer']);
    expect(container!.securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    // The shared flags of infra/vmagent/vmagent.env, as flags.
    const env = parseEnvFile(readFileSync(join(repoRoot, 'infra/vmagent/vmagent.env'), 'utf8'));
    for (const [key, value] of Object.entries(env)) expect(args).toContain(`-${key.replace(/^VMAGENT_/, '').replaceAll('_', '.')}=${value}`);
    const config = parse((find(built.vmagent, 'ConfigMap', 'vmagent-config') as unknown as { data: Record<string, string> }).data['scrape.yml']!) as { global: Record<string, string>; scrape_configs: Array<{ job_name: string }> };
    const committed = parse(readFileSync(join(repoRoot, 'infra/vmagent/scrape.yml'), 'utf8')) as typeof config;
    expect(config.global).toEqual(committed.global);
    expect(config.scrape_configs.map((j) => j.job_name)).toEqual(committed.scrape_configs.map((j) => j.job_name));
  });

  it('vmagent accepts the example’s scrape config (`-promscrape.config.dryRun`)', () => {
    const file = join(work, 'scrape.yml');
    writeFileSync(file, (find(built.vmagent, 'ConfigMap', 'vmagent-config') as unknown as { data: Record<string, string> }).data['scrape.yml']!);
    const result = spawnSync(findBinary('vmagent'), [`-promscrape.config=${file}`, '-promscrape.config.dryRun', '-loggerLevel=ERROR'], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
  }, 60_000);

  /** CONDITIONAL: kubectl is not among what tools/setup.sh installs; where it is, its kustomize must agree. */
  it.runIf(which('kubectl'))('builds the same objects as `kubectl kustomize`', () => {
    for (const overlay of OVERLAYS) {
      const result = spawnSync('kubectl', ['kustomize', join(dir, overlay)], { encoding: 'utf8', timeout: 60_000 });
      expect(result.status, result.stderr).toBe(0);
      const theirs = parseAllDocuments(result.stdout).map((d) => d.toJS() as KubeObject);
      const key = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;
      const sorted = (objects: KubeObject[]) => [...objects].sort((a, b) => key(a).localeCompare(key(b)));
      expect(sorted(built[overlay]), overlay).toEqual(sorted(theirs));
    }
  }, 60_000);
});

