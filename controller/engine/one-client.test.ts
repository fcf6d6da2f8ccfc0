/**
 * dockerode is the product's one Docker client (SPEC §7): read from the sources, only
 * controller/engine/ loads dockerode or docker-modem, nothing in controller/engine/ makes an HTTP
 * request of its own (it hands dockerode a kept-alive Agent, nothing more), and no product file that
 * makes raw HTTP requests names an engine endpoint or a Docker address.
 */
import { describe, expect, it } from 'vitest';
import { readProduct } from '../../test/layout/layout.js';

const files = readProduct();
const RAW_HTTP = /\b(https?\.(request|get)|net\.(connect|createConnection)|tls\.connect)\s*\(/;
/** engine endpoints (with or without a version prefix) and Docker addresses */
const ENGINE_TALK = /['"`]\/(v1\.\d+\/)?(images|containers|events|_ping|distribution|info|version)\b|docker\.sock|DOCKER_HOST/;

describe('dockerode is the one engine client', () => {
  it('is loaded by controller/engine/ only, and is declared a dependency', async () => {
    const loaders = files.filter((f) => f.packages.some((p) => p === 'dockerode' || p === 'docker-modem')).map((f) => f.path);
    expect(loaders.length).toBeGreaterThan(0);
    expect(loaders.filter((p) => !p.startsWith('controller/engine/'))).toEqual([]);
    const pkg = (await import('../../package.json', { with: { type: 'json' } })).default as { dependencies: Record<string, string> };
    expect(pkg.dependencies.dockerode).toMatch(/^\^5\./);
  });

  it('no file of controller/engine/ makes a request of its own', () => {
    const engine = files.filter((f) => f.path.startsWith('controller/engine/'));
    expect(engine.length).toBeGreaterThan(0);
    expect(engine.filter((f) => RAW_HTTP.test(f.text)).map((f) => f.path)).toEqual([]);
  });

  it('no product file that makes raw requests talks to an engine', () => {
    const raw = files.filter((f) => RAW_HTTP.test(f.text));
    expect(raw.filter((f) => ENGINE_TALK.test(f.text)).map((f) => f.path)).toEqual([]);
  });
});
