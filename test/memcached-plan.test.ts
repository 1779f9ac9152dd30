/** The helper that finds or installs memcached for the demo, examples and tests: its decisions, per system. */
import { describe, expect, it, vi } from 'vitest';
import { type MemcachedPlan, planMemcached, type SystemFacts } from '../scripts/memcached/plan.js';

const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';
const UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n';
const FEDORA = 'NAME="Fedora Linux"\nID=fedora\n';
const ROCKY = 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\n';
const ALPINE = 'NAME="Alpine Linux"\nID=alpine\n';
const ARCH = 'NAME="Arch Linux"\nID=arch\n';
const OPENSUSE = 'NAME="openSUSE Leap"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\n';
const APT = ['/usr/bin/apt-get', '/usr/bin/dpkg'];

function facts(
  over: Partial<Omit<SystemFacts, 'isExecutable' | 'canSudo'>> & { executables?: string[] } = {},
) {
  const { executables = [], ...rest } = over;
  const existing = new Set(executables);
  const canSudo = vi.fn(() => false);
  return {
    env: { PATH: '/home/me/bin:/usr/bin' },
    platform: 'linux' as NodeJS.Platform,
    osRelease: DEBIAN,
    uid: 1000,
    canSudo,
    isExecutable: (file: string) => existing.has(file),
    ...rest,
  } satisfies SystemFacts;
}

function failMessage(plan: MemcachedPlan): string {
  if (plan.action !== 'fail') throw new Error(`expected a failure, got ${JSON.stringify(plan)}`);
  expect(plan.message).not.toContain('\n');
  return plan.message;
}

describe('finding memcached', () => {
  it('takes MEMCACHED_BIN first, without searching', () => {
    const plan = planMemcached(
      facts({
        env: { MEMCACHED_BIN: '/opt/mc/memcached', PATH: '/usr/bin' },
        executables: ['/opt/mc/memcached', '/usr/bin/memcached'],
      }),
    );
    expect(plan).toEqual({ action: 'use', binary: '/opt/mc/memcached' });
  });

  it('does not fall back to PATH when MEMCACHED_BIN is wrong: says so', () => {
    const plan = planMemcached(
      facts({
        env: { MEMCACHED_BIN: '/opt/mc/memcached', PATH: '/usr/bin' },
        executables: ['/usr/bin/memcached'],
      }),
    );
    expect(failMessage(plan)).toMatch(/^MEMCACHED_BIN=\/opt\/mc\/memcached is not an executable file/);
  });

  it('searches PATH in order, then the system directories', () => {
    expect(planMemcached(facts({ executables: ['/home/me/bin/memcached', '/usr/bin/memcached'] }))).toEqual({
      action: 'use',
      binary: '/home/me/bin/memcached',
    });
    // Not on PATH (a minimal PATH, or sbin left out for a normal user): found where packages put it.
    expect(
      planMemcached(facts({ env: { PATH: '/home/me/bin' }, executables: ['/usr/sbin/memcached'] })),
    ).toEqual({
      action: 'use',
      binary: '/usr/sbin/memcached',
    });
    expect(
      planMemcached(
        facts({
          platform: 'darwin',
          osRelease: undefined,
          env: { PATH: '/usr/bin' },
          executables: ['/opt/homebrew/bin/memcached'],
        }),
      ),
    ).toEqual({ action: 'use', binary: '/opt/homebrew/bin/memcached' });
  });

  it('ignores relative PATH entries', () => {
    const plan = planMemcached(
      facts({ env: { PATH: 'bin:/usr/bin' }, executables: ['bin/memcached'], uid: 0 }),
    );
    expect(plan.action).toBe('install');
  });

  it('MEMCACHED_SEARCH_PATH replaces the system directories', () => {
    const hidden = facts({
      env: { PATH: '/home/me/bin', MEMCACHED_SEARCH_PATH: '' },
      executables: ['/usr/bin/memcached'],
    });
    expect(planMemcached(hidden).action).not.toBe('use');
    const custom = facts({
      env: { PATH: '', MEMCACHED_SEARCH_PATH: '/srv/mc/bin' },
      executables: ['/srv/mc/bin/memcached'],
    });
    expect(planMemcached(custom)).toEqual({ action: 'use', binary: '/srv/mc/bin/memcached' });
  });
});

describe('installing memcached when it is missing', () => {
  it('Debian as root: apt-get install, with apt-get update kept for a failed install; sudo not asked', () => {
    const input = facts({ uid: 0, executables: APT });
    expect(planMemcached(input)).toEqual({
      action: 'install',
      command: 'apt-get install -y memcached',
      install: ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', 'memcached'],
      update: ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update', '-q'],
    });
    expect(input.canSudo).not.toHaveBeenCalled();
  });

  it('Ubuntu as a user with passwordless sudo: through sudo -n', () => {
    const input = facts({ osRelease: UBUNTU, uid: 1000 });
    input.canSudo.mockReturnValue(true);
    const plan = planMemcached(input);
    expect(plan).toMatchObject({ action: 'install', command: 'sudo apt-get install -y memcached' });
    expect(plan.action === 'install' && plan.install.slice(0, 2)).toEqual(['sudo', '-n']);
    expect(plan.action === 'install' && plan.update.slice(0, 2)).toEqual(['sudo', '-n']);
  });

  it('a Debian machine without os-release is recognised by apt-get and dpkg', () => {
    expect(planMemcached(facts({ osRelease: undefined, uid: 0, executables: APT })).action).toBe('install');
  });
});

describe('missing and not installable here: one line with the exact command', () => {
  it('Debian as a user without sudo', () => {
    const input = facts({ uid: 1000 });
    expect(failMessage(planMemcached(input))).toBe(
      'memcached is not installed and installing it needs root: run `sudo apt-get install -y memcached`, then try again (or set MEMCACHED_BIN to its path)',
    );
    expect(input.canSudo).toHaveBeenCalledOnce();
  });

  it('Debian as root with MEMCACHED_INSTALL=no', () => {
    const message = failMessage(
      planMemcached(facts({ uid: 0, env: { PATH: '/usr/bin', MEMCACHED_INSTALL: 'no' } })),
    );
    expect(message).toContain('(MEMCACHED_INSTALL=no): run `apt-get install -y memcached`');
  });

  it('macOS with and without Homebrew', () => {
    const mac = { platform: 'darwin' as const, osRelease: undefined, uid: 501 };
    expect(failMessage(planMemcached(facts({ ...mac, executables: ['/opt/homebrew/bin/brew'] })))).toContain(
      'run `brew install memcached`, then try again',
    );
    expect(
      failMessage(
        planMemcached(
          facts({
            ...mac,
            env: { PATH: '/usr/bin:/home/me/.brew/bin' },
            executables: ['/home/me/.brew/bin/brew'],
          }),
        ),
      ),
    ).toContain('run `brew install memcached`');
    expect(failMessage(planMemcached(facts(mac)))).toContain(
      'install Homebrew (https://brew.sh) and run `brew install memcached`',
    );
  });

  it.each([
    ['Fedora, user', FEDORA, 1000, [], 'sudo dnf install -y memcached'],
    ['Rocky, root', ROCKY, 0, [], 'dnf install -y memcached'],
    ['an old RHEL-like with yum only', 'ID="centos"\n', 0, ['/usr/bin/yum'], 'yum install -y memcached'],
    ['Alpine, root', ALPINE, 0, [], 'apk add memcached'],
    ['Arch, user', ARCH, 1000, [], 'sudo pacman -S --noconfirm memcached'],
    ['openSUSE, user', OPENSUSE, 1000, [], 'sudo zypper install -y memcached'],
  ])('%s: says the command, never installs', (_name, osRelease, uid, executables, command) => {
    const input = facts({ osRelease, uid, executables });
    input.canSudo.mockReturnValue(true);
    expect(failMessage(planMemcached(input))).toContain(`run \`${command}\`, then try again`);
  });

  it('an unknown Linux and Windows: points at the package manager', () => {
    expect(failMessage(planMemcached(facts({ osRelease: 'ID=exotic\n', uid: 0 })))).toContain(
      "install it with your system's package manager",
    );
    expect(
      failMessage(
        planMemcached(
          facts({ platform: 'win32', osRelease: undefined, uid: undefined, env: { PATH: 'C:\\bin' } }),
        ),
      ),
    ).toContain("install it with your system's package manager");
  });
});
