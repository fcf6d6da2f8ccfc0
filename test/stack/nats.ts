/**
 * Throwaway NATS JetStream hubs for the fleet tests and benchmarks: Debian's `nats-server`, its
 * JetStream store in a temp dir, listening on 127.0.0.1 only, started and stopped by pid. One
 * server, or a cluster of three on loopback; optionally with TLS (certificates made here with
 * openssl) and an `authorization {}` block (what `imagectl fleet nats-config` prints).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const READY_TIMEOUT_MS = 30_000;

const NATS_BINS = ['/usr/sbin/nats-server', '/usr/bin/nats-server'];

/** Debian's nats-server, installed when it is missing (a fresh CI machine). */
export function natsServerBin(): string {
  const found = () => NATS_BINS.find((p) => fs.existsSync(p));
  if (found()) return found()!;
  const apt = (...args: string[]) => execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: 'pipe', maxBuffer: 64 << 20 });
  apt('update');
  apt('install', '-y', '--no-install-recommends', 'nats-server');
  const bin = found();
  if (!bin) throw new Error('installed nats-server but found no nats-server binary');
  return bin;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port }, () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
  clientCert: string;
  clientKey: string;
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with openssl. */
export function makeCertificates(dir: string): TlsFiles {
  fs.mkdirSync(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=imagectl test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  fs.writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  fs.writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=imagectl test ${who}`, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`));
    ossl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f(`${who}.ext`), '-out', f(`${who}.pem`));
  }
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

export interface NatsOptions {
  /** extra config text (an authorization block) */
  config?: string;
  tls?: TlsFiles & { verify?: boolean };
  root?: string;
  /** listen here (a hub that devices were pointed at before it started) */
  port?: number;
}

export class NatsServer {
  child: ChildProcess | null = null;
  readonly conf: string;
  readonly log: string;

  constructor(readonly root: string, readonly port: number, readonly name: string, confText: string) {
    this.conf = path.join(root, `${name}.conf`);
    this.log = path.join(root, `${name}.log`);
    fs.writeFileSync(this.conf, confText);
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const out = fs.openSync(this.log, 'a');
    this.child = spawn(natsServerBin(), ['-c', this.conf], { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const child = this.child;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await portOpen(this.port))) {
      if (child.exitCode !== null) throw new Error(`nats-server ${this.name} exited ${child.exitCode}:\n${fs.readFileSync(this.log, 'utf8').slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`nats-server ${this.name} did not listen on ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stop by pid (SIGTERM, then SIGKILL after 10 s); `kill`: SIGKILL at once, a crash. */
  async stop(kill = false): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(kill ? 'SIGKILL' : 'SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
    this.child = null;
  }

  logText(): string {
    return fs.existsSync(this.log) ? fs.readFileSync(this.log, 'utf8') : '';
  }
}

function serverConf(o: { name: string; port: number; storeDir: string; extra?: string; tls?: NatsOptions['tls']; cluster?: { port: number; routes: number[] } }): string {
  const lines = [
    `server_name: ${o.name}`,
    'host: 127.0.0.1',
    `port: ${o.port}`,
    `jetstream { store_dir: ${JSON.stringify(o.storeDir)} }`,
  ];
  if (o.tls) lines.push(`tls { cert_file: ${JSON.stringify(o.tls.cert)}, key_file: ${JSON.stringify(o.tls.key)}, ca_file: ${JSON.stringify(o.tls.ca)}, verify: ${o.tls.verify ? 'true' : 'false'} }`);
  if (o.cluster) {
    lines.push(`cluster { name: imagectl-test, host: 127.0.0.1, port: ${o.cluster.port}, routes: [${o.cluster.routes.map((p) => `"nats-route://127.0.0.1:${p}"`).join(', ')}] }`);
  }
  if (o.extra) lines.push(o.extra);
  return `${lines.join('\n')}\n`;
}

export interface Hub {
  servers: NatsServer[];
  /** every server's URL, comma-separated (what `--fleet` takes) */
  url: string;
  root: string;
  stop(): Promise<void>;
}

/** One nats-server with JetStream, in its own temp dir. */
export async function startNats(o: NatsOptions = {}): Promise<Hub> {
  const root = o.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ictl-nats-'));
  const port = o.port ?? (await freePort());
  const s = new NatsServer(root, port, 'hub', serverConf({ name: 'hub', port, storeDir: path.join(root, 'js'), extra: o.config, tls: o.tls }));
  await s.start();
  const scheme = o.tls ? 'tls' : 'nats';
  return {
    servers: [s], url: `${scheme}://127.0.0.1:${port}`, root,
    stop: async () => {
      await s.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A JetStream cluster of three servers on 127.0.0.1. */
export async function startNatsCluster(o: NatsOptions = {}): Promise<Hub> {
  const root = o.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ictl-natsc-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const routes = [await freePort(), await freePort(), await freePort()];
  const servers = ports.map((port, i) => new NatsServer(root, port, `n${i + 1}`, serverConf({
    name: `n${i + 1}`, port, storeDir: path.join(root, `js${i + 1}`), extra: o.config, cluster: { port: routes[i]!, routes: routes.filter((_, j) => j !== i) },
  })));
  await Promise.all(servers.map((s) => s.start()));
  return {
    servers, url: servers.map((s) => s.url).join(','), root,
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
