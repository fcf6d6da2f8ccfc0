/**
 * Throwaway Docker test stack: a private dockerd (plus the containerd it manages) and a
 * docker-registry, everything under one temp dir, so integration tests never touch a host engine.
 * With `tls`, the engine listens only on tcp://127.0.0.1:PORT with --tlsverify, with certificates
 * made in the temp dir (tls.ts), and no unix socket.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { makeTlsMaterial, type TlsMaterial } from './tls.js';

export interface StackInfo {
  dockerHost: string; // 'unix:///abs/path/docker.sock', or 'tcp://127.0.0.1:PORT' for a TLS stack
  socketPath: string; // unused by a TLS stack
  /** a TLS-only engine: the DOCKER_CERT_PATH directories its clients can use (see tls.ts) */
  tls?: { certPaths: TlsMaterial['certPaths'] };
  registry: string; // '127.0.0.1:PORT'
  root: string; // temp dir holding everything
}

export interface Stack extends StackInfo {
  /** the engine's --data-root */
  readonly dataRoot: string;
  stop(): Promise<void>;
  stopRegistry(): Promise<void>;
  startRegistry(): Promise<void>;
  /** Containers whose PID 1 ignores SIGTERM (busybox sleep without --init) delay this by ~10 s. */
  stopEngine(): Promise<void>;
  startEngine(): Promise<void>;
}

const execFileP = promisify(execFile);
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
// openssl makes the TLS engine's certificates (tls.ts); openssh runs the ssh:// remote (ssh.ts);
// prometheus: its promtool checks the metrics output and the example alert rules; zsh: for the completion test
const PACKAGES = ['docker.io', 'docker-registry', 'busybox-static', 'openssl', 'openssh-server', 'openssh-client', 'prometheus', 'zsh'];

export function findBin(name: string, dirs = ['/usr/sbin', '/usr/bin', '/sbin', '/bin']): string | undefined {
  return dirs.map((d) => path.join(d, name)).find((p) => fs.existsSync(p));
}

/** Fixture images copy busybox into an empty rootfs, so it must not need a dynamic loader. */
function isStaticElf(file: string): boolean {
  const b = fs.readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return true; // only ELF64-LE is checked
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  for (let i = 0; i < b.readUInt16LE(0x38); i++) {
    if (b.readUInt32LE(phoff + i * phentsize) === 3) return false; // PT_INTERP
  }
  return true;
}

/** Path of the static busybox that fixtures copy into their rootfs. */
export function busyboxPath(): string {
  const p = findBin('busybox', ['/bin', '/usr/bin']);
  if (!p || !isStaticElf(p)) throw new Error('static busybox missing: call ensurePackages() first');
  return p;
}

function packagesPresent(): boolean {
  const busybox = findBin('busybox', ['/bin', '/usr/bin']);
  const tools = ['dockerd', 'docker', 'docker-registry', 'openssl', 'sshd', 'ssh-keygen', 'ssh-agent', 'ssh-add', 'promtool', 'zsh'];
  return !!(tools.every((t) => findBin(t)) && busybox && isStaticElf(busybox));
}

/** Installs the PACKAGES when one of their binaries is missing. */
export async function ensurePackages(): Promise<void> {
  if (packagesPresent()) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=300']; // concurrent test runs may install at the same time
  const apt = async (...args: string[]) => {
    try {
      await execFileP('apt-get', [...lock, ...args], { env, maxBuffer: 64 << 20 });
    } catch (e: any) {
      throw new Error(`apt-get ${args.join(' ')} failed:\n${String(e.stdout ?? '').slice(-2000)}${e.stderr ?? e}`);
    }
  };
  // The packages' postinst would start the system docker and docker-registry services;
  // a policy-rc.d that exits 101 is Debian's way to forbid that.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) await fsp.writeFile(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    await apt('update');
    await apt('install', '-y', ...PACKAGES);
  } finally {
    if (ownPolicy) await fsp.rm(policy, { force: true });
  }
  if (!packagesPresent()) throw new Error(`installed ${PACKAGES.join(' ')} but one of their binaries (or a static busybox) is still missing`);
}

export interface Daemon {
  pid: number;
  exited: Promise<void>;
  done: boolean;
  exitCode: number | null;
}

const SETPRIV = findBin('setpriv');

export function spawnDaemon(bin: string, args: string[], logFile: string, env = process.env): Daemon {
  const out = fs.openSync(logFile, 'a');
  // --pdeathsig: if this process dies without running its exit handlers (SIGKILL, OOM),
  // the kernel still sends the daemon SIGTERM.
  const [cmd, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'TERM', bin, ...args]] : [bin, args];
  // detached: own process group, so dockerd and the containerd it starts can be killed together.
  const child = spawn(cmd, argv, { detached: true, stdio: ['ignore', out, out], env });
  fs.closeSync(out);
  child.unref();
  const d: Daemon = { pid: child.pid ?? 0, exited: Promise.resolve(), done: false, exitCode: null };
  d.exited = new Promise((resolve) => {
    const finish = (code: number | null) => {
      d.done = true;
      d.exitCode = code;
      resolve();
    };
    child.once('exit', finish);
    child.once('error', () => finish(-1));
  });
  return d;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  if (!(Math.abs(pid) > 1)) return; // a failed spawn has no pid: never signal init or "all processes"
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** SIGTERM, wait up to 15 s, then SIGKILL the daemon's whole process group. Returns false if it had to kill. */
export async function terminate(d: Daemon): Promise<boolean> {
  if (d.done) return true;
  signal(d.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    d.exited.then(() => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), STOP_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (!inTime) {
    signal(-d.pid, 'SIGKILL');
    await d.exited;
  }
  return inTime;
}

function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function waitReady(what: string, d: Daemon, logFile: string, probe: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    if (d.done) throw new Error(`${what} exited (code ${d.exitCode}) before it was ready. ${logFile} ends with:\n${tail(logFile)}`);
    try {
      await probe();
      return;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready after ${READY_TIMEOUT_MS / 1000} s (${String(lastErr)}). ${logFile} ends with:\n${tail(logFile)}`);
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().unref().on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Pids whose command line mentions dir, plus their descendants (container processes hang below the shims). */
function pidsUnder(dir: string): number[] {
  const parent = new Map<number, number>();
  const hits = new Set<number>();
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.includes(dir + '/'))) hits.add(pid);
    } catch {
      /* exited meanwhile */
    }
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!hits.has(pid) && hits.has(ppid)) {
        hits.add(pid);
        grew = true;
      }
    }
  }
  return [...hits];
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGKILL everything under dir and wait (synchronously, usable in an 'exit' handler) until it is gone. */
function killUnderSync(dir: string): void {
  const pids = pidsUnder(dir);
  for (const pid of pids) signal(pid, 'SIGKILL');
  for (let i = 0; i < 100 && pids.some(alive); i++) sleepSync(50);
}

/** Kill leftovers, unmount (overlay rootfs, netns, dockerd's bind mount of its data root) and delete root. */
function reapSync(root: string): void {
  killUnderSync(root);
  const mounts = fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(root + '/'))
    .sort()
    .reverse(); // children before parents
  for (const m of mounts) {
    if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
  }
  try {
    fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  } catch (e) {
    console.error(`[stack] could not remove ${root}: ${String(e)}`);
  }
}

// Safety net: an aborted run (Ctrl-C, vitest's teardown timeout, a crashed worker) must not leave dockerd running.
const live = new Set<string>();
let netInstalled = false;
function installSafetyNet(): void {
  if (netInstalled) return;
  netInstalled = true;
  const reapAll = () => {
    for (const root of live) reapSync(root);
    live.clear();
  };
  process.on('exit', reapAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      reapAll();
      // Listening disabled the default "die on signal". If nobody else handles it, restore that by
      // re-raising (vitest workers replace process.exit with a function that throws).
      if (process.listenerCount(sig) === 1) {
        process.off(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

class LocalStack implements Stack {
  readonly dockerHost: string;
  readonly registry: string;
  private engine?: Daemon;
  private reg?: Daemon;
  private readonly docker: Dockerode;
  readonly tls?: { certPaths: TlsMaterial['certPaths'] };

  constructor(
    readonly root: string,
    readonly socketPath: string,
    port: number,
    private readonly log: (s: string) => void,
    private readonly daemonConfig: Record<string, unknown> = {},
    private readonly tlsEngine?: { port: number; material: TlsMaterial },
    private readonly dataRootTmpfs?: string,
  ) {
    this.registry = `127.0.0.1:${port}`;
    if (tlsEngine) {
      this.dockerHost = `tcp://127.0.0.1:${tlsEngine.port}`;
      this.tls = { certPaths: tlsEngine.material.certPaths };
      this.docker = dockerForTls(tlsEngine.port, tlsEngine.material.certPaths.good);
    } else {
      this.dockerHost = `unix://${socketPath}`;
      this.docker = new Dockerode({ socketPath, timeout: 5000 });
    }
  }

  /** dockerd's -H and TLS flags */
  private listenArgs(): string[] {
    const t = this.tlsEngine;
    if (!t) return ['-H', this.dockerHost];
    const { ca, cert, key } = t.material.server;
    return ['-H', this.dockerHost, '--tlsverify', '--tlscacert', ca, '--tlscert', cert, '--tlskey', key];
  }

  private p(name: string): string {
    return path.join(this.root, name);
  }

  /** The engine's data root (`--data-root`): a tmpfs of a fixed size when asked, mounted once. */
  get dataRoot(): string {
    return this.p('data');
  }

  private mountDataRoot(): void {
    if (!this.dataRootTmpfs) return;
    const mounted = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === this.dataRoot);
    if (mounted) return;
    fs.mkdirSync(this.dataRoot, { recursive: true });
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${this.dataRootTmpfs},mode=0711`, 'tmpfs', this.dataRoot], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cannot mount a tmpfs of ${this.dataRootTmpfs} on ${this.dataRoot} (root needed): ${r.stderr}`);
  }

  async startEngine(): Promise<void> {
    if (this.engine && !this.engine.done) return;
    const started = Date.now();
    // Own daemon.json (empty unless a test asks) so a host /etc/docker/daemon.json cannot change or break this engine.
    await fsp.writeFile(this.p('daemon.json'), `${JSON.stringify(this.daemonConfig)}\n`);
    this.mountDataRoot();
    // dockerd starts its own containerd with socket, state and config under --exec-root, so it
    // cannot collide with a system containerd or another stack.
    // No --storage-driver: dockerd picks overlay2 (root on ext4, as here) and falls back to vfs by
    // itself when the root is on overlayfs (e.g. CI inside a container); both checked.
    const args = [
      '--bridge=none', '--iptables=false', '--ip-forward=false', '--ip-masq=false', '--userland-proxy=false',
      '--data-root', this.dataRoot, '--exec-root', this.p('exec'), ...this.listenArgs(),
      '--pidfile', this.p('docker.pid'), '--config-file', this.p('daemon.json'),
    ];
    const logFile = this.p('dockerd.log');
    this.engine = spawnDaemon(findBin('dockerd') ?? 'dockerd', args, logFile);
    await waitReady('dockerd', this.engine, logFile, () => this.docker.ping());
    const { Driver } = await this.docker.info();
    this.log(`dockerd ready in ${Date.now() - started} ms (storage driver ${Driver}, ${this.tlsEngine ? `TLS on ${this.dockerHost}` : `socket ${this.socketPath}`})`);
  }

  async stopEngine(): Promise<void> {
    const d = this.engine;
    this.engine = undefined;
    // After a SIGKILL, dockerd's containerd, shims and containers are left behind.
    if (d && !(await terminate(d))) killUnderSync(this.p('exec'));
  }

  async startRegistry(): Promise<void> {
    if (this.reg && !this.reg.done) return;
    const started = Date.now();
    const config = this.p('registry.yml');
    await fsp.writeFile(
      config,
      [
        'version: 0.1',
        'log: { level: warn, accesslog: { disabled: true } }',
        // No blob descriptor cache: with one, deleted blobs can still be reported as present.
        `storage: { filesystem: { rootdirectory: '${this.p('registry')}' }, delete: { enabled: true } }`,
        `http: { addr: '${this.registry}', secret: imagectl-test-stack }`, // a secret silences a warning on every start
        '',
      ].join('\n'),
    );
    // REGISTRY_* variables would override the config file.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
    const logFile = this.p('registry.log');
    this.reg = spawnDaemon(findBin('docker-registry') ?? 'docker-registry', ['serve', config], logFile, env);
    await waitReady('docker-registry', this.reg, logFile, async () => {
      const status = await httpStatus(`http://${this.registry}/v2/`);
      if (status !== 200) throw new Error(`GET /v2/ answered ${status}`);
    });
    this.log(`docker-registry ready in ${Date.now() - started} ms at ${this.registry}`);
  }

  async stopRegistry(): Promise<void> {
    const d = this.reg;
    this.reg = undefined;
    if (d) await terminate(d);
  }

  async stop(): Promise<void> {
    if (!live.has(this.root)) return;
    if (this.engine && !this.engine.done) {
      // Kill containers first: dockerd would otherwise give each one 10 s to react to SIGTERM.
      const running = await this.docker.listContainers().catch(() => []);
      await Promise.all(running.map((c) => this.docker.getContainer(c.Id).kill().catch(() => {})));
    }
    await Promise.all([this.stopEngine(), this.stopRegistry()]);
    reapSync(this.root);
    live.delete(this.root);
  }
}

/** A dockerode for a TLS stack's engine, with the certificates of a DOCKER_CERT_PATH directory. */
export function dockerForTls(port: number, certPath: string): Dockerode {
  const read = (f: string) => fs.readFileSync(path.join(certPath, f));
  return new Dockerode({ host: '127.0.0.1', port, protocol: 'https', ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem'), timeout: 5000 });
}

export interface StackOptions {
  root?: string;
  log?: (s: string) => void;
  daemonConfig?: Record<string, unknown>;
  /** a TLS-only engine on 127.0.0.1 (see tls.ts) */
  tls?: boolean;
  /** start the registry too (default true) */
  registry?: boolean;
  /** give the engine's data root a tmpfs of this size (e.g. `200m`, mount -o size=), for disk-pressure tests; unmounted at stop */
  dataRootTmpfs?: string;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const root = opts.root ? path.resolve(opts.root) : await fsp.mkdtemp('/tmp/ictl-');
  await fsp.mkdir(root, { recursive: true });
  const socketPath = path.join(root, 'docker.sock');
  if (socketPath.length >= 100) throw new Error(`socket path too long for a unix socket: ${socketPath}`);
  const tls = opts.tls ? { port: await freePort(), material: await makeTlsMaterial(path.join(root, 'tls')) } : undefined;
  const stack = new LocalStack(root, socketPath, await freePort(), opts.log ?? (() => {}), opts.daemonConfig, tls, opts.dataRootTmpfs);
  installSafetyNet();
  live.add(root);
  const results = await Promise.allSettled([stack.startEngine(), opts.registry === false ? Promise.resolve() : stack.startRegistry()]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await stack.stop().catch(() => {});
    throw failed.reason;
  }
  return stack;
}
