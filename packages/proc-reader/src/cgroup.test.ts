import { expectedCgroupClassifications, listProcCaptures } from '@proj/fixtures';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyCgroup, classifyCgroupPath, parseProcCgroup } from './cgroup.js';
import { ProcParseError } from './errors.js';

const captures = listProcCaptures('cgroup');
const expected = expectedCgroupClassifications();
const ID = 'b176419186d75a44628851daf7841d3374a2ec56d0b038ee3bd1e0c6d331e5b1';
const UID = '0d33f94b-ab1a-11e6-9e1a-68f7281d8004';
const UID_ = UID.replaceAll('-', '_');

describe('every /proc/<pid>/cgroup capture', () => {
  it('has an expectation, and every expectation a capture', () => {
    expect(Object.keys(expected).sort()).toEqual(captures.map((capture) => capture.name));
  });

  it.each(captures.map((capture) => [capture.name, capture] as const))('%s', (name, capture) => {
    const { why: _why, ...want } = expected[name]!;
    const got = classifyCgroup(parseProcCgroup(capture.text, capture.file));
    expect({ containerId: got.containerId, runtime: got.runtime, podUid: got.podUid }).toEqual(want);
  });
});

describe('parseProcCgroup', () => {
  it('splits at the first two colons only (the cri-containerd colon form keeps its colons in the path)', () => {
    const [line] = parseProcCgroup('9:cpu,cpuacct:/kubepods-pod1.slice:cri-containerd:abc\n');
    expect(line).toEqual({ hierarchyId: 9, controllers: ['cpu', 'cpuacct'], path: '/kubepods-pod1.slice:cri-containerd:abc' });
  });

  it('reads the v2 line with no controllers, the named hierarchy, and tolerates blank lines', () => {
    expect(parseProcCgroup('1:name=systemd:/\n\n0::/init.scope\n')).toEqual([
      { hierarchyId: 1, controllers: ['name=systemd'], path: '/' },
      { hierarchyId: 0, controllers: [], path: '/init.scope' },
    ]);
  });

  it('gives the unified and cpuacct paths of a hybrid host', () => {
    const capture = captures.find((c) => c.name.startsWith('docker-for-linux-1293'))!;
    const cgroup = classifyCgroup(parseProcCgroup(capture.text));
    expect(cgroup.unifiedPath).toBe('/system.slice/containerd.service');
    expect(cgroup.cpuacctPath).toBe('/docker/a2ffe0e97ac22657a2a023ad628e9df837c38a03b1ebc904d3f6d644eb1a1a81');
  });

  it.each([['no colons', 'abc\n'], ['one colon', '0:/x\n'], ['a relative path', '0::x\n'], ['a word for id', 'x::/\n']])('refuses %s', (_what, text) => {
    expect(() => parseProcCgroup(text, '/proc/1/cgroup')).toThrow(ProcParseError);
  });
});

describe('classifyCgroupPath: shapes not among the captures (synthetic, from the runtimes\' naming rules)', () => {
  it.each([
    ['docker, cgroupfs driver, v2', `/docker/${ID}`, ID, 'docker', null],
    ['docker in docker: the innermost', `/docker/${'a'.repeat(64)}/docker/${ID}`, ID, 'docker', null],
    ['podman, systemd driver', `/machine.slice/libpod-${ID}.scope`, ID, 'podman', null],
    ['rootless podman, its payload in a child cgroup', `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope/container`, ID, 'podman', null],
    ['podman, cgroupfs driver', `/libpod_parent/libpod-${ID}`, ID, 'podman', null],
    ['podman conmon is not the container', `/machine.slice/libpod-conmon-${ID}.scope`, null, null, null],
    ['cri-o, systemd driver, v2', `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-${ID}.scope`, ID, 'cri-o', UID],
    ['cri-o, cgroupfs driver', `/kubepods/burstable/pod${UID}/crio-${ID}`, ID, 'cri-o', UID],
    ['cri-o conmon is not the container', `/kubepods.slice/kubepods-pod${UID_}.slice/crio-conmon-${ID}.scope`, null, null, null],
    ['containerd, systemd driver, v2', `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`, ID, 'containerd', UID],
    ['docker under kubepods (dockershim), systemd driver', `/kubepods.slice/kubepods-pod${UID_}.slice/docker-${ID}.scope`, ID, 'docker', UID],
    ['guaranteed pod, cgroupfs driver', `/kubepods/pod${UID}/${ID}`, ID, 'kubepods', UID],
    ['LXD / LXC 4', '/lxc.payload.web1/system.slice/nginx.service', 'web1', 'lxc', null],
    ['LXC before 3.1', '/lxc/web1', 'web1', 'lxc', null],
    ['a bare id under no known parent is not guessed', `/system.slice/${ID}`, null, null, null],
    ['the root', '/', null, null, null],
    ['docker.service itself', '/system.slice/docker.service', null, null, null],
  ])('%s', (_what, path, containerId, runtime, podUid) => {
    expect(classifyCgroupPath(path)).toEqual({ containerId, runtime, podUid });
  });
});

describe('classifyCgroupPath properties', () => {
  const segment = fc.oneof(
    fc.constantFrom('system.slice', 'user.slice', 'kubepods', 'docker', 'lxc.monitor', 'init.scope', `docker-${ID}.scope`, ID, `pod${UID_}.slice`),
    fc.string({ maxLength: 12 }).map((s) => s.replaceAll('/', '')),
  );

  it('never throws, and a container id it gives is in the path', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), (segments) => {
        const path = `/${segments.join('/')}`;
        const result = classifyCgroupPath(path);
        if (result.containerId !== null) expect(path).toContain(result.containerId);
        if (result.containerId === null) expect(result).toEqual({ containerId: null, runtime: null, podUid: null });
        if (result.podUid !== null) expect(result.podUid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      }),
    );
  });

  it('finds a docker container wherever its scope sits', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('system.slice', 'init.scope', 'a', 'b.slice'), { maxLength: 5 }), (above) => {
        expect(classifyCgroupPath(`/${[...above, `docker-${ID}.scope`].join('/')}`)).toEqual({ containerId: ID, runtime: 'docker', podUid: null });
      }),
    );
  });
});
