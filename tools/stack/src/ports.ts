import { createServer } from 'node:net';

/** A port the OS says is free right now on `host` (another process may still take it before you do). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Whether `port` can be bound on `host` now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** `preferred` when it is free, otherwise a free port; `moved` says which. */
export async function choosePort(preferred: number, host = '127.0.0.1'): Promise<{ port: number; moved: boolean }> {
  if (await isPortFree(preferred, host)) return { port: preferred, moved: false };
  return { port: await freePort(host), moved: true };
}
