// Docker cannot run here: the stack is checked structurally against what the code reads.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  restart?: string;
  volumes?: string[];
  secrets?: string[];
  ports?: string[];
  container_name?: string;
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
};
const services = compose.services;

/** Every environment variable name read by the given source files and folders. */
function namesReadBy(paths: string[]): Set<string> {
  const names = new Set<string>();
  const visit = (path: string): void => {
    if (statSync(path).isDirectory()) return readdirSync(path).forEach((name) => visit(join(path, name)));
    const source = readFileSync(path, 'utf8');
    for (const match of source.matchAll(
      /(?:env(?:\[|\.)|required\(env, |value\(env, |url\(env, |readPort\([^,]+, )'?([A-Z][A-Z0-9_]{3,})'?/g,
    )) {
      names.add(match[1]!);
    }
    for (const match of source.matchAll(
      /'((?:ALIPAY|TEMPORAL|PAYLOAD|HTTP|WORKER|CODEC|WORKFLOW|WEBHOOK|API|SERVER|TRUST)_[A-Z_]+)'/g,
    ))
      names.add(match[1]!);
  };
  paths.forEach((path) => visit(join(ROOT, path)));
  return names;
}

const workerReads = namesReadBy(['worker', 'config', 'codec']);
const serverReads = namesReadBy(['client/main.ts', 'config', 'codec']);

describe('docker-compose.yml', () => {
  it('has PostgreSQL, the schema set-up, Temporal, the namespace set-up, the UI, workers, the HTTP server, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual([
      'grafana',
      'http',
      'postgresql',
      'prometheus',
      'temporal',
      'temporal-schema',
      'temporal-setup',
      'temporal-ui',
      'worker',
    ]);
    expect(services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    const setup = services['temporal-setup']!.command!.join(' ');
    expect(setup).toContain('AuthNo RedPacketStatus');
    expect(setup).toContain('--type Keyword');
  });

  it('starts things in order, with health checks and restart policies', () => {
    expect(services['temporal-schema']!.depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(services.temporal!.depends_on).toEqual({
      'temporal-schema': { condition: 'service_completed_successfully' },
    });
    // The server image carries no client: the set-up waits until the frontend answers, then
    // everything that talks to Temporal starts.
    expect(services['temporal-setup']!.command!.join(' ')).toMatch(/until temporal operator cluster health/);
    for (const name of ['worker', 'http', 'temporal-ui'])
      expect(services[name]!.depends_on, name).toMatchObject({
        'temporal-setup': { condition: 'service_completed_successfully' },
      });
    for (const name of ['postgresql', 'temporal-ui', 'worker', 'http']) {
      expect(services[name]!.healthcheck?.test.length, name).toBeGreaterThan(1);
      expect(services[name]!.restart, name).toBe('unless-stopped');
    }
    expect(services.temporal!.restart).toBe('unless-stopped');
    expect(services['temporal-schema']!.restart).toBe('no');
    expect(services['temporal-setup']!.restart).toBe('no');
  });

  it('keeps state in named volumes and lets workers scale', () => {
    expect(Object.keys(compose.volumes)).toContain('postgres-data');
    expect(services.postgresql!.volumes).toContain('postgres-data:/var/lib/postgresql/data');
    // --scale worker=N needs no fixed name and no host port on the worker.
    expect(services.worker!.container_name).toBeUndefined();
    expect(services.worker!.ports).toBeUndefined();
  });

  it('runs our one image: the worker and the HTTP server entry points', () => {
    expect(services.worker!.build).toBe('.');
    expect(services.http!.image).toBe(services.worker!.image);
    expect(services.worker!.command).toEqual(['node', '--import', 'tsx', 'worker/main.ts']);
    expect(services.http!.command).toEqual(['node', '--import', 'tsx', 'client/main.ts']);
  });

  it('sets only variables the code reads, and everything the worker and server require', () => {
    const workerEnv = Object.keys(services.worker!.environment!);
    const serverEnv = Object.keys(services.http!.environment!);
    expect(workerEnv.filter((name) => !workerReads.has(name))).toEqual([]);
    expect(serverEnv.filter((name) => !serverReads.has(name))).toEqual([]);
    for (const required of [
      'TEMPORAL_ADDRESS',
      'ALIPAY_GATEWAY',
      'ALIPAY_APP_ID',
      'ALIPAY_PRIVATE_KEY_FILE',
    ]) {
      expect(workerEnv).toContain(required);
    }
    for (const required of [
      'TEMPORAL_ADDRESS',
      'ALIPAY_APP_ID',
      'ALIPAY_PUBLIC_CERT_FILE',
      'HTTP_PORT',
      'WEBHOOK_PORT',
      'API_KEYS_FILE',
    ]) {
      expect(serverEnv).toContain(required);
    }
    expect(services.worker!.environment!.TEMPORAL_TASK_QUEUE).toBe(
      services.http!.environment!.TEMPORAL_TASK_QUEUE,
    );
  });

  it('brings keys and certificates in as files, never as environment strings', () => {
    for (const service of [services.worker!, services.http!]) {
      for (const [name, value] of Object.entries(service.environment!)) {
        expect(String(value)).not.toMatch(/BEGIN|PRIVATE KEY/);
        if (name.endsWith('_FILE')) expect(String(value)).toMatch(/^\/run\/secrets\//);
      }
      for (const secret of service.secrets ?? [])
        expect(compose.secrets[secret]?.file).toMatch(/^\.\/secrets\//);
    }
    expect(services.http!.secrets).not.toContain('alipay_app_private_key'); // the webhook needs no private key
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8')).toMatch(/^secrets\/$/m);
  });

  it('publishes only the webhook to the outside; the API, Temporal and the UI stay on loopback', () => {
    const published = Object.entries(services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => ({ name, port: String(port) })),
    );
    const outside = published.filter(({ port }) => !port.startsWith('127.0.0.1:'));
    expect(outside).toEqual([{ name: 'http', port: `3001:${services.http!.environment!.WEBHOOK_PORT}` }]);
    expect(published).toContainEqual({
      name: 'http',
      port: `127.0.0.1:3000:${services.http!.environment!.HTTP_PORT}`,
    });
    expect(published.map(({ name }) => name).sort()).toEqual([
      'grafana',
      'http',
      'http',
      'prometheus',
      'temporal',
      'temporal-ui',
    ]);
  });

  it('reads API keys from a mounted directory, so a minted or revoked key reaches the running server', () => {
    const keysFile = String(services.http!.environment!.API_KEYS_FILE);
    const mount = services.http!.volumes!.find((volume) => keysFile.startsWith(`${volume.split(':')[1]}/`));
    expect(mount).toMatch(/^\.\/secrets\/[^:]+:[^:]+:ro$/);
    expect(services.worker!.environment!.API_KEYS_FILE).toBeUndefined(); // the worker takes no API calls
  });

  it('has Prometheus scrape the HTTP servers (with a key), every worker and Temporal, and Grafana show the dashboard from the repo', () => {
    const prometheus = parse(readFileSync(join(ROOT, 'observability', 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: Array<{
        job_name: string;
        authorization?: { credentials_file: string };
        static_configs?: Array<{ targets: string[] }>;
        dns_sd_configs?: Array<{ names: string[]; port: number }>;
      }>;
    };
    const job = (name: string) => prometheus.scrape_configs.find((config) => config.job_name === name)!;
    expect(job('red-packets-http').static_configs![0]!.targets).toEqual([
      `http:${services.http!.environment!.HTTP_PORT}`,
    ]);
    const token = job('red-packets-http').authorization!.credentials_file;
    expect(services.prometheus!.volumes).toContainEqual(
      `./secrets/prometheus:${token.slice(0, token.lastIndexOf('/'))}:ro`,
    );
    const workerPort = String(services.worker!.environment!.WORKER_METRICS_ADDRESS).split(':')[1];
    expect(job('red-packets-worker').dns_sd_configs![0]).toMatchObject({
      names: ['worker'],
      port: Number(workerPort),
    });
    expect(job('temporal').static_configs![0]!.targets).toEqual([
      `temporal:${String(services.temporal!.environment!.PROMETHEUS_ENDPOINT).split(':')[1]}`,
    ]);
    for (const file of prometheus.rule_files)
      expect(services.prometheus!.volumes).toContainEqual(
        `./observability/${file.split('/').pop()}:${file}:ro`,
      );

    const provider = parse(
      readFileSync(
        join(ROOT, 'observability', 'grafana', 'provisioning', 'dashboards', 'red-packets.yml'),
        'utf8',
      ),
    ) as { providers: Array<{ options: { path: string } }> };
    expect(services.grafana!.volumes).toContainEqual(
      `./observability/grafana/dashboards:${provider.providers[0]!.options.path}:ro`,
    );
    expect(services.grafana!.volumes).toContainEqual(
      './observability/grafana/provisioning:/etc/grafana/provisioning:ro',
    );
    expect(String(services.grafana!.environment!.GF_SECURITY_ADMIN_PASSWORD)).toMatch(
      /^\$\{GRAFANA_ADMIN_PASSWORD:\?/,
    );
  });
});
