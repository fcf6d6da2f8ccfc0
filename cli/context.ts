/** Where the agent lives: flags, then environment, then defaults (root: /var/lib/imagectl). */
import { resolve, join } from 'node:path';
import { Client } from './client.js';

export interface GlobalOpts {
  stateDir?: string;
  socket?: string;
}

export function defaultStateDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/imagectl' : resolve('.imagectl');
}

export function resolvePaths(o: GlobalOpts): { stateDir: string; socket: string } {
  const stateDir = resolve(o.stateDir ?? defaultStateDir());
  const socket = resolve(o.socket ?? join(stateDir, 'imagectl.sock'));
  return { stateDir, socket };
}

export function clientFor(o: GlobalOpts): Client {
  const { stateDir, socket } = resolvePaths(o);
  return new Client(socket, stateDir);
}
