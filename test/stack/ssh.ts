/**
 * An ssh "remote" for DOCKER_HOST=ssh://, all on 127.0.0.1 and in the stack's temp dir: an sshd
 * with a throwaway host key that lets root in with a throwaway key (nothing else: no passwords, no
 * PAM), and an ssh-agent holding that key. Sessions get `SetEnv DOCKER_HOST=<the stack's engine>`
 * (and a DOCKER_CONFIG of their own), so the `docker system dial-stdio` that dockerode runs on the
 * remote reaches the harness's engine, never the system's socket.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { findBin, freePort, spawnDaemon, terminate, waitReady, type Daemon } from './stack.js';

const execFileP = promisify(execFile);

export interface SshRemote {
  /** `ssh://root@127.0.0.1:PORT` */
  dockerHost: string;
  /** SSH_AUTH_SOCK of an agent holding the authorized key */
  authSock: string;
  /** SSH_AUTH_SOCK of an agent holding only a key the remote does not know */
  strangerSock: string;
  stop(): Promise<void>;
}

async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    await execFileP(cmd, args, { env });
  } catch (e: any) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr ?? e}`);
  }
}

const keygen = (file: string) => run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'imagectl-test', '-f', file]);

function tcpOpen(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve();
    });
    s.on('error', reject);
  });
}

/** An ssh-agent on `sock` holding `key`. */
async function startAgent(dir: string, name: string, key: string): Promise<Daemon> {
  const sock = path.join(dir, `${name}.sock`);
  const log = path.join(dir, `${name}.log`);
  const d = spawnDaemon(findBin('ssh-agent') ?? 'ssh-agent', ['-D', '-a', sock], log);
  await waitReady('ssh-agent', d, log, async () => {
    if (!fs.existsSync(sock)) throw new Error(`no ${sock} yet`);
  });
  await run('ssh-add', ['-q', key], { ...process.env, SSH_AUTH_SOCK: sock });
  return d;
}

export async function startSshRemote(root: string, engineHost: string): Promise<SshRemote> {
  const dir = path.join(root, 'ssh');
  await fsp.mkdir(path.join(dir, 'docker-config'), { recursive: true, mode: 0o700 });
  await Promise.all([keygen(path.join(dir, 'host_ed25519')), keygen(path.join(dir, 'client_ed25519')), keygen(path.join(dir, 'stranger_ed25519'))]);
  await fsp.copyFile(path.join(dir, 'client_ed25519.pub'), path.join(dir, 'authorized_keys'));
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  await fsp.writeFile(config, [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${dir}/host_ed25519`, `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys`, 'AuthenticationMethods publickey', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', 'AllowUsers root', 'UsePAM no', 'StrictModes no',
    'X11Forwarding no', 'AllowTcpForwarding no', 'PrintMotd no', 'LogLevel VERBOSE',
    `SetEnv DOCKER_HOST=${engineHost} DOCKER_CONFIG=${dir}/docker-config`, '',
  ].join('\n'));
  // sshd refuses to start without its privilege separation directory, which only its service unit makes
  await fsp.mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const log = path.join(dir, 'sshd.log');
  const sshd = spawnDaemon(findBin('sshd') ?? '/usr/sbin/sshd', ['-D', '-e', '-f', config], log);
  const agents: Daemon[] = [];
  try {
    await waitReady('sshd', sshd, log, () => tcpOpen(port));
    agents.push(await startAgent(dir, 'agent', path.join(dir, 'client_ed25519')));
    agents.push(await startAgent(dir, 'stranger', path.join(dir, 'stranger_ed25519')));
  } catch (err) {
    await Promise.all([sshd, ...agents].map(terminate));
    throw err;
  }
  return {
    dockerHost: `ssh://root@127.0.0.1:${port}`,
    authSock: path.join(dir, 'agent.sock'),
    strangerSock: path.join(dir, 'stranger.sock'),
    stop: async () => void (await Promise.all([sshd, ...agents].map(terminate))),
  };
}
