import http from 'node:http';
import { existsSync } from 'node:fs';

/** Ask whoever listens on `socket` for its health; null when nobody answers. */
export function probeSocket(socket: string, timeoutMs = 1000): Promise<{ pid: number; stateDir: string } | null> {
  if (!existsSync(socket)) return Promise.resolve(null);
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/v1/health', timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as { pid: number; stateDir: string });
        } catch {
          resolve({ pid: 0, stateDir: '?' });
        }
      });
    });
    req.on('error', () => resolve(null));
    req.on('timeout', () => {
      req.destroy();
      resolve(null);
    });
  });
}
