/**
 * Where memcached is, or what to do about it: a pure decision over what the machine looks like, so every
 * branch is unit-tested without touching the system. ensure.ts gathers the facts and carries out the plan.
 */

/** What the machine looks like, as far as finding or installing memcached goes. */
export interface SystemFacts {
  env: {
    /** An explicit binary: used as is, never searched around. */
    MEMCACHED_BIN?: string | undefined;
    PATH?: string | undefined;
    /** Directories searched after PATH; default SYSTEM_DIRS (tests empty it to simulate a missing binary). */
    MEMCACHED_SEARCH_PATH?: string | undefined;
    /** 'no': never install, only say how. */
    MEMCACHED_INSTALL?: string | undefined;
  };
  platform: NodeJS.Platform;
  /** Contents of /etc/os-release, if any. */
  osRelease: string | undefined;
  /** undefined where there are no uids (Windows). */
  uid: number | undefined;
  /** Whether `sudo -n true` succeeds; asked only when an install is otherwise possible. */
  canSudo: () => boolean;
  /** Whether an absolute path is an executable file. */
  isExecutable: (file: string) => boolean;
}

export type MemcachedPlan =
  | { action: 'use'; binary: string }
  | {
      action: 'install';
      /** The command as a person would type it, for the one line that says what is happening. */
      command: string;
      install: readonly string[];
      /** Run once, then `install` again, only if the first install fails (stale or empty package lists). */
      update: readonly string[];
    }
  | { action: 'fail'; message: string };

/** Where package managers put memcached, in the order they are tried after PATH. */
export const SYSTEM_DIRS = [
  '/usr/bin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/local/sbin',
  '/opt/homebrew/bin',
  '/opt/local/bin',
  '/snap/bin',
  '/bin',
  '/sbin',
] as const;

const FALLBACK = 'or set MEMCACHED_BIN to its path';

/** Every memcached path worth checking, in order: MEMCACHED_BIN alone when set, else PATH then system dirs. */
export function memcachedCandidates(facts: Pick<SystemFacts, 'env' | 'platform'>): string[] {
  const { env, platform } = facts;
  if (env.MEMCACHED_BIN) return [env.MEMCACHED_BIN];
  if (platform === 'win32') return []; // memcached has no Windows build: WSL is a Linux
  const extra = env.MEMCACHED_SEARCH_PATH?.split(':') ?? SYSTEM_DIRS;
  const dirs = [...(env.PATH?.split(':') ?? []), ...extra].filter((dir) => dir.startsWith('/'));
  return [...new Set(dirs.map((dir) => `${dir.replace(/\/+$/, '')}/memcached`))];
}

export function planMemcached(facts: SystemFacts): MemcachedPlan {
  const found = memcachedCandidates(facts).find((file) => facts.isExecutable(file));
  if (found) return { action: 'use', binary: found };
  if (facts.env.MEMCACHED_BIN) {
    return {
      action: 'fail',
      message: `MEMCACHED_BIN=${facts.env.MEMCACHED_BIN} is not an executable file: point it at memcached, or unset it to search PATH`,
    };
  }
  return planInstall(facts);
}

type System = 'debian' | 'fedora' | 'alpine' | 'arch' | 'suse' | 'macos' | 'other';

function planInstall(facts: SystemFacts): MemcachedPlan {
  const system = detectSystem(facts);
  const root = facts.uid === 0;
  const sudo = root ? '' : 'sudo ';
  const missing = 'memcached is not installed';
  const tryAgain = `then try again (${FALLBACK})`;
  switch (system) {
    case 'debian': {
      const command = `${sudo}apt-get install -y memcached`;
      if (facts.env.MEMCACHED_INSTALL === 'no') {
        return {
          action: 'fail',
          message: `${missing} (MEMCACHED_INSTALL=no): run \`${command}\`, ${tryAgain}`,
        };
      }
      if (!root && !facts.canSudo()) {
        return {
          action: 'fail',
          message: `${missing} and installing it needs root: run \`${command}\`, ${tryAgain}`,
        };
      }
      const elevate = root ? [] : ['sudo', '-n'];
      const apt = [...elevate, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get'];
      return {
        action: 'install',
        command,
        install: [...apt, 'install', '-y', '-q', 'memcached'],
        update: [...apt, 'update', '-q'],
      };
    }
    case 'macos':
      return facts.isExecutable('/opt/homebrew/bin/brew') ||
        facts.isExecutable('/usr/local/bin/brew') ||
        onPath(facts, 'brew')
        ? { action: 'fail', message: `${missing}: run \`brew install memcached\`, ${tryAgain}` }
        : {
            action: 'fail',
            message: `${missing}: install Homebrew (https://brew.sh) and run \`brew install memcached\`, ${tryAgain}`,
          };
    case 'fedora': {
      const manager =
        !facts.isExecutable('/usr/bin/dnf') && facts.isExecutable('/usr/bin/yum') ? 'yum' : 'dnf';
      return {
        action: 'fail',
        message: `${missing}: run \`${sudo}${manager} install -y memcached\`, ${tryAgain}`,
      };
    }
    case 'alpine':
      return { action: 'fail', message: `${missing}: run \`${sudo}apk add memcached\`, ${tryAgain}` };
    case 'arch':
      return {
        action: 'fail',
        message: `${missing}: run \`${sudo}pacman -S --noconfirm memcached\`, ${tryAgain}`,
      };
    case 'suse':
      return {
        action: 'fail',
        message: `${missing}: run \`${sudo}zypper install -y memcached\`, ${tryAgain}`,
      };
    case 'other':
      return {
        action: 'fail',
        message: `${missing}: install it with your system's package manager (https://memcached.org/downloads), ${tryAgain}`,
      };
  }
}

function detectSystem(facts: SystemFacts): System {
  if (facts.platform === 'darwin') return 'macos';
  if (facts.platform !== 'linux') return 'other';
  const family = osFamily(facts.osRelease ?? '');
  if (family) return family;
  // No (or an unknown) os-release: the package manager on disk tells.
  if (facts.isExecutable('/usr/bin/apt-get') && facts.isExecutable('/usr/bin/dpkg')) return 'debian';
  if (facts.isExecutable('/usr/bin/dnf') || facts.isExecutable('/usr/bin/yum')) return 'fedora';
  if (facts.isExecutable('/sbin/apk')) return 'alpine';
  if (facts.isExecutable('/usr/bin/pacman')) return 'arch';
  if (facts.isExecutable('/usr/bin/zypper')) return 'suse';
  return 'other';
}

/** The family from os-release's ID, then ID_LIKE (e.g. Ubuntu and Mint are Debian-like, Rocky is RHEL-like). */
function osFamily(osRelease: string): Exclude<System, 'macos' | 'other'> | undefined {
  const field = (name: string) =>
    new RegExp(`^${name}=["']?([^"'\\n]*)`, 'm').exec(osRelease)?.[1]?.toLowerCase().split(/\s+/) ?? [];
  const families: Array<[Exclude<System, 'macos' | 'other'>, string[]]> = [
    ['debian', ['debian', 'ubuntu']],
    ['fedora', ['fedora', 'rhel', 'centos']],
    ['alpine', ['alpine']],
    ['arch', ['arch']],
    ['suse', ['suse', 'opensuse', 'sles']],
  ];
  for (const ids of [field('ID'), field('ID_LIKE')]) {
    const hit = families.find(([, names]) => ids.some((id) => names.includes(id)));
    if (hit) return hit[0];
  }
  return undefined;
}

function onPath(facts: SystemFacts, name: string): boolean {
  return (facts.env.PATH?.split(':') ?? []).some((dir) => dir && facts.isExecutable(`${dir}/${name}`));
}
