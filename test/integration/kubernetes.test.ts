/**
 * deploy/k8s/ without a cluster: every object is checked against the Kubernetes API schemas
 * that kubernetes-models ships (offline), and every container's arguments are run through the
 * real `dtx participant` / `dtx coordinator` commander parsers, after the kubelet's $(VAR)
 * expansion, for each pod of its StatefulSet. Then the pieces must agree: ports, probes,
 * mounts, Services, and the coordinators' lists of participants and coordinators.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '@commander-js/extra-typings';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { coordinatorCommand, participantCommand } from '../../src/cli/nodeCommands.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../deploy/k8s');

interface Probe {
  httpGet?: { path: string; port: string | number; scheme?: string };
  grpc?: { port: number };
}
interface Container {
  name: string;
  args: string[];
  env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports: { name: string; containerPort: number }[];
  volumeMounts: { name: string; mountPath: string }[];
  startupProbe: Probe;
  readinessProbe: Probe;
  livenessProbe: Probe;
}
interface StatefulSetDoc {
  kind: 'StatefulSet';
  metadata: { name: string; namespace?: string };
  spec: {
    serviceName: string;
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    volumeClaimTemplates: { metadata: { name: string } }[];
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: { containers: Container[]; volumes: { name: string; secret?: { secretName: string; defaultMode: number } }[] };
    };
  };
}
interface ServiceDoc {
  kind: 'Service';
  metadata: { name: string; namespace?: string };
  spec: { clusterIP?: string; selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] };
}
type Doc = StatefulSetDoc | ServiceDoc;

// kubectl reads YAML 1.1 (0440 is octal there), so the files are read the same way.
const docs: Doc[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((f) => parseAllDocuments(readFileSync(join(DIR, f), 'utf8'), { version: '1.1' }).map((d) => d.toJS() as Doc));

const MODELS: Record<string, (o: Doc) => { validate(): void }> = {
  'apps/v1 StatefulSet': (o) => new StatefulSet(o as unknown as ConstructorParameters<typeof StatefulSet>[0]),
  'v1 Service': (o) => new Service(o as unknown as ConstructorParameters<typeof Service>[0]),
};

function validate(doc: Doc): void {
  const { apiVersion, kind } = doc as unknown as { apiVersion: string; kind: string };
  const make = MODELS[`${apiVersion} ${kind}`];
  if (!make) throw new Error(`no schema check for ${apiVersion} ${kind}`);
  make(doc).validate();
}

const sets = docs.filter((d): d is StatefulSetDoc => d.kind === 'StatefulSet');
const services = docs.filter((d): d is ServiceDoc => d.kind === 'Service');
const set = (name: string): StatefulSetDoc => sets.find((s) => s.metadata.name === name)!;
const podNames = (s: StatefulSetDoc): string[] => Array.from({ length: s.spec.replicas }, (_, i) => `${s.metadata.name}-${i}`);
const container = (s: StatefulSetDoc): Container => s.spec.template.spec.containers[0]!;
const port = (c: Container, name: string): number => c.ports.find((p) => p.name === name)!.containerPort;
const mount = (c: Container, volume: string): string => c.volumeMounts.find((m) => m.name === volume)!.mountPath;

/** A pod's arguments as the kubelet passes them: $(VAR) replaced by the container's env (here POD_NAME). */
function expand(c: Container, pod: string): string[] {
  for (const e of c.env) expect(e.valueFrom?.fieldRef?.fieldPath, `env ${e.name}`).toBe('metadata.name');
  return c.args.map((a) => a.replace(/\$\(([A-Z_]+)\)/g, (whole, v: string) => (c.env.some((e) => e.name === v) ? pod : whole)));
}

/** Parses a node's arguments with the real CLI, without starting anything: the options its action would get. */
async function parseNode(args: string[]): Promise<Record<string, unknown>> {
  const [role, ...rest] = args;
  const cmd = (role === 'participant' ? participantCommand() : role === 'coordinator' ? coordinatorCommand() : null) as Command<
    [],
    Record<string, unknown>
  > | null;
  if (!cmd) throw new Error(`the first argument must be participant or coordinator, got ${role}`);
  let parsed: Record<string, unknown> | null = null;
  cmd
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    .action((o) => {
      parsed = o;
    });
  await cmd.parseAsync(rest, { from: 'user' });
  return parsed!;
}

describe('deploy/k8s manifests', () => {
  it('are a participant and a coordinator StatefulSet, their headless Services and a client Service, without a namespace', () => {
    expect(sets.map((s) => s.metadata.name).sort()).toEqual(['dtx-coordinator', 'dtx-participant']);
    expect(services.map((s) => s.metadata.name).sort()).toEqual(['dtx', 'dtx-coordinator', 'dtx-participant']);
    for (const d of docs) expect(d.metadata.namespace, d.metadata.name).toBeUndefined();
  });

  it('validate against the Kubernetes API schemas (kubernetes-models), which refuse a broken copy', () => {
    for (const d of docs) expect(() => validate(d), `${d.kind} ${d.metadata.name}`).not.toThrow();
    const broken = structuredClone(set('dtx-participant')) as unknown as {
      spec: { replicas: unknown; template: { spec: { containers: { ports: unknown[] }[] } } };
    };
    broken.spec.replicas = 'three';
    expect(() => validate(broken as unknown as Doc)).toThrow(/replicas must be integer/);
    const noPort = structuredClone(set('dtx-participant')) as unknown as { spec: { template: { spec: { containers: { ports: unknown[] }[] } } } };
    noPort.spec.template.spec.containers[0]!.ports = [{ name: 'grpc' }];
    expect(() => validate(noPort as unknown as Doc)).toThrow(/containerPort/);
  });

  it("run every pod's arguments through the real CLI parser, and the flags agree with the ports, mounts and Secrets", async () => {
    for (const s of sets) {
      const c = container(s);
      for (const pod of podNames(s)) {
        const o = await parseNode(expand(c, pod));
        expect(o['id'], pod).toBe(pod);
        expect(o['listen']).toBe(`0.0.0.0:${port(c, 'grpc')}`);
        expect(o['httpListen']).toBe(`0.0.0.0:${port(c, 'metrics')}`);
        expect(o['data']).toBe(mount(c, 'data'));
        expect(o['tlsCa']).toBe(`${mount(c, 'tls')}/ca.pem`);
        expect(o['tlsCert']).toBe(`${mount(c, 'tls')}/${pod}.pem`);
        expect(o['tlsKey']).toBe(`${mount(c, 'tls')}/${pod}-key.pem`);
        expect(o['tokens']).toBe(`${mount(c, 'auth')}/tokens`);
        expect(o['clusterSecret']).toBe(`${mount(c, 'auth')}/cluster-secret`);
        expect(o['allowFaults'], 'no fault injection').toBeUndefined();
        expect(o['insecure']).toBeUndefined();
      }
      const vols = s.spec.template.spec.volumes;
      expect(vols.map((v) => [v.name, v.secret?.secretName, v.secret?.defaultMode])).toEqual([
        ['tls', 'dtx-tls', 0o440],
        ['auth', 'dtx-auth', 0o440],
      ]);
      expect(s.spec.volumeClaimTemplates.map((v) => v.metadata.name)).toEqual(['data']);
    }
  });

  it("give every coordinator every participant and coordinator pod by its headless Service's DNS name", async () => {
    const participants = set('dtx-participant');
    const coordinators = set('dtx-coordinator');
    const pPort = port(container(participants), 'grpc');
    const cPort = port(container(coordinators), 'grpc');
    for (const pod of podNames(coordinators)) {
      const o = await parseNode(expand(container(coordinators), pod));
      expect([...(o['participants'] as Map<string, string>)]).toEqual(podNames(participants).map((p) => [p, `${p}.${participants.spec.serviceName}:${pPort}`]));
      expect([...(o['coordinators'] as Map<string, string>)]).toEqual(podNames(coordinators).map((c) => [c, `${c}.${coordinators.spec.serviceName}:${cPort}`]));
      expect(o['advertise']).toBe(`${pod}.${coordinators.spec.serviceName}:${cPort}`);
    }
  });

  it('put each StatefulSet behind its headless Service, with probes on /healthz and metrics annotations on the metrics port', () => {
    for (const s of sets) {
      const labels = s.spec.template.metadata.labels;
      expect(s.spec.selector.matchLabels).toEqual(labels);
      const headless = services.find((x) => x.metadata.name === s.spec.serviceName)!;
      expect(headless.spec.clusterIP).toBe('None');
      expect(headless.spec.selector).toEqual(labels);
      expect(headless.spec.ports.map((p) => p.targetPort).sort()).toEqual(['grpc', 'metrics']);
      const c = container(s);
      for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
        // The gRPC port runs TLS, which Kubernetes' grpc probes cannot: /healthz over HTTPS answers the same question.
        expect(probe.httpGet).toEqual({ path: '/healthz', port: 'metrics', scheme: 'HTTPS' });
      }
      const a = s.spec.template.metadata.annotations;
      expect(a).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/scheme': 'https',
        'prometheus.io/port': String(port(c, 'metrics')),
        'prometheus.io/path': '/metrics',
      });
    }
    const client = services.find((x) => x.metadata.name === 'dtx')!;
    expect(client.spec.selector).toEqual(set('dtx-coordinator').spec.template.metadata.labels);
    expect(client.spec.ports).toEqual([{ name: 'grpc', port: 7700, targetPort: 'grpc' }]);
  });
});
