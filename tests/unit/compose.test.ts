/**
 * docker-compose.yml must start on a user's machine: images that can still be pulled and do not change under them
 * (a release tag, never `latest` or no tag), a healthcheck on every service that calls a tool its image really
 * ships (curl left the MinIO image in November 2023 and broke ours), and depends_on conditions that can be met.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface ComposeService {
  image?: string;
  command?: string | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: string[];
}

/**
 * What each image's healthcheck may call, from the image's published Dockerfile:
 * - mysql (docker-library/mysql, 8.4/Dockerfile.oracle): mysql-community-server-minimal brings mysqladmin and mysql;
 *   the image's own entrypoint stops its first-run server with mysqladmin.
 * - chrislusf/seaweedfs (seaweedfs/seaweedfs, docker/Dockerfile.go_build): alpine with `apk add curl`, busybox's
 *   wget and sh, and /usr/bin/weed.
 * An image not listed here fails the test until its entry is added with the same kind of evidence.
 */
const TOOLS_BY_IMAGE: Record<string, string[]> = {
  mysql: ['mysqladmin', 'mysql'],
  'chrislusf/seaweedfs': ['curl', 'wget', 'weed'],
};
/** Shell words a CMD-SHELL check may use besides the image's tools (the images' /bin/sh has them built in). */
const SHELL_BUILTINS = ['exit', 'test', '[', 'true', 'false'];
/** The bucket the application uses unless BACKUP_BUCKET says otherwise (lib/config.ts). */
const DEFAULT_BUCKET = 'financial-monitor-local-backups';

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const services = Object.entries(compose.services);
/** Setup containers that run once, each waited for by another service (service_completed_successfully). */
const oneShots = new Set(
  services.flatMap(([, service]) =>
    dependenciesOf(service)
      .filter(([, condition]) => condition === 'service_completed_successfully')
      .map(([target]) => target),
  ),
);
const longRunning = services.filter(([name]) => !oneShots.has(name));

/** `repo[:tag][@digest]` split; the registry host (if any) stays part of the repository. */
function imageParts(image: string): { repository: string; tag?: string } {
  const nameAndTag = image.split('@')[0] ?? image;
  const lastColon = nameAndTag.lastIndexOf(':');
  if (lastColon <= nameAndTag.lastIndexOf('/')) return { repository: nameAndTag };
  return { repository: nameAndTag.slice(0, lastColon), tag: nameAndTag.slice(lastColon + 1) };
}

/** The programs a healthcheck runs: the first word of each command in a CMD-SHELL line, or CMD's executable. */
function programsOf(test: string | string[]): string[] {
  const [kind, ...rest] = typeof test === 'string' ? ['CMD-SHELL', test] : test;
  if (kind === 'CMD') return rest.slice(0, 1);
  if (kind !== 'CMD-SHELL') return [];
  return rest
    .join(' ')
    .split(/&&|\|\||;|\|/)
    .map((command) => command.trim().split(/\s+/))
    .map((words) => words.find((word) => !/^\w+=/.test(word)) ?? '')
    .filter((program) => program !== '');
}

function dependenciesOf(service: ComposeService): Array<[string, string]> {
  const deps = service.depends_on ?? [];
  if (Array.isArray(deps)) return deps.map((name) => [name, 'service_started']);
  return Object.entries(deps).map(([name, options]) => [name, options?.condition ?? 'service_started']);
}

describe('docker-compose.yml', () => {
  it('has services', () => {
    expect(services.length).toBeGreaterThan(0);
  });

  it.each(services)('%s: its image is pinned to a release', (_, service) => {
    expect(service.image, 'every service runs a published image').toBeTypeOf('string');
    const { tag } = imageParts(service.image as string);
    expect(tag, `${service.image} names no tag (that is latest)`).toBeDefined();
    // A version of at least major.minor (8.4.11, 4.44, v1.2.3, RELEASE.2025-…): not latest, lts, 8, alpine.
    expect(tag).toMatch(/^(v?\d+\.\d+([.\-+_][\w.-]*)?|RELEASE\.\d{4}-\d{2}-\d{2}T[\w-]+)$/);
  });

  it.each(longRunning)('%s: its healthcheck calls only tools its image ships', (_, service) => {
    const test = service.healthcheck?.test;
    expect(
      test,
      'a healthcheck on every service that keeps running (npm start waits for healthy); a setup container that ' +
        'exits needs a long-running service to wait for it with service_completed_successfully, or ' +
        '`docker compose up --wait` fails on its exit',
    ).toBeDefined();
    expect(service.healthcheck?.disable).not.toBe(true);
    const tools = TOOLS_BY_IMAGE[imageParts(service.image as string).repository];
    expect(tools, `no allow-list for ${service.image}: add what its Dockerfile installs`).toBeDefined();
    const programs = programsOf(test as string | string[]);
    expect(programs.length, 'CMD or CMD-SHELL with a command').toBeGreaterThan(0);
    for (const program of programs) expect([...(tools ?? []), ...SHELL_BUILTINS]).toContain(program);
  });

  it.each(services)('%s: publishes its ports on the loopback interface only', (_, service) => {
    for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('has depends_on conditions that can be met', () => {
    const names = new Set(Object.keys(compose.services));
    for (const [name, service] of services) {
      for (const [target, condition] of dependenciesOf(service)) {
        expect(names, `${name} depends on ${target}, which is not a service`).toContain(target);
        expect(target, `${name} depends on itself`).not.toBe(name);
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        if (condition === 'service_healthy')
          expect(compose.services[target]?.healthcheck?.test, `${target} has no healthcheck`).toBeDefined();
        if (condition === 'service_completed_successfully')
          expect(
            compose.services[target]?.healthcheck,
            `${target} runs once, so it is never healthy`,
          ).toBeUndefined();
      }
    }
    // No cycle: every service can start after the ones it waits for.
    const started = new Set<string>();
    while (started.size < names.size) {
      const ready = services.filter(
        ([name, service]) => !started.has(name) && dependenciesOf(service).every(([t]) => started.has(t)),
      );
      expect(
        ready.length,
        `a depends_on cycle among ${[...names].filter((n) => !started.has(n))}`,
      ).toBeGreaterThan(0);
      for (const [name] of ready) started.add(name);
    }
  });

  it('publishes MySQL on 3306 and S3 on 9000, where npm start looks, and creates the default bucket', () => {
    const ports = services.flatMap(([, service]) => service.ports ?? []);
    expect(ports).toEqual(
      expect.arrayContaining(['127.0.0.1:3306:3306', expect.stringMatching(/^127\.0\.0\.1:9000:/)]),
    );
    const commands = services.map(([, service]) => [service.command ?? []].flat().join(' ')).join('\n');
    expect(commands).toContain(DEFAULT_BUCKET);
  });
});

describe('programsOf (healthcheck commands)', () => {
  it('takes the executable of a CMD form', () => {
    expect(programsOf(['CMD', 'mysqladmin', 'ping'])).toEqual(['mysqladmin']);
  });

  it('takes the first word of each command of a CMD-SHELL line, skipping variable assignments', () => {
    expect(programsOf(['CMD-SHELL', 'curl -f http://x || exit 1'])).toEqual(['curl', 'exit']);
    expect(programsOf('A=1 wget -q http://x && weed version; true')).toEqual(['wget', 'weed', 'true']);
  });
});
