// What a sysfs attribute read costs the exporter's process, the synchronous way (open, read, close on the event loop)
// against @proj/kernel-files' readKernelAttribute (open and read on libuv's thread pool, so that a read stuck in the
// kernel cannot hold the event loop), one file after another as a tick reads them. Rounds alternate between the two
// so that load on a shared machine hits both alike. CPU is process.cpuUsage: the pool threads' share included.
// Run: node dist/read-probe.js [--file PATH ...] --reads 2000 --rounds 10   (prints one JSON line)
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { KERNEL_ATTRIBUTE_MAX_BYTES, readKernelAttribute } from '@proj/kernel-files';

/** Files every Linux has in sysfs. */
const DEFAULT_FILES = ['/sys/devices/system/cpu/online', '/sys/devices/system/cpu/possible', '/sys/kernel/mm/transparent_hugepage/enabled'];

const buffer = Buffer.alloc(KERNEL_ATTRIBUTE_MAX_BYTES + 1);
function readSynchronously(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return buffer.toString('latin1', 0, readSync(fd, buffer, 0, buffer.length, null));
  } finally {
    closeSync(fd);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { file: { type: 'string', multiple: true }, reads: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '10' } },
  });
  const files = values.file ?? DEFAULT_FILES;
  const reads = Number(values.reads);
  const rounds = Number(values.rounds);
  // Both ways must read the same thing, or the comparison means nothing.
  for (const file of files) {
    if ((await readKernelAttribute(file)) !== readSynchronously(file)) throw new Error(`${file}: the two reads differ`);
  }
  const cpuUs = async (read: (path: string) => unknown): Promise<number> => {
    const before = process.cpuUsage();
    for (let i = 0; i < reads; i++) await read(files[i % files.length]!);
    const used = process.cpuUsage(before);
    return used.user + used.system;
  };
  let sync = 0;
  let pool = 0;
  for (let r = 0; r < rounds; r++) {
    sync += await cpuUs(readSynchronously);
    pool += await cpuUs(readKernelAttribute);
  }
  const total = reads * rounds;
  process.stdout.write(
    `${JSON.stringify({ files, reads: total, syncUsPerRead: sync / total, poolUsPerRead: pool / total, loadAverage1m: loadavg()[0] })}\n`,
  );
}

void main();
