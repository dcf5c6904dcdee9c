import { describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LAB_SCRIPT, parseLabInfo } from '../lab/lab';

// The lab's scripts need root to run, but their syntax, their usage text and the contract between the bash that
// writes lab.json and the TypeScript that reads it can be checked anywhere.

const labRoot = path.dirname(LAB_SCRIPT);
const libs = readdirSync(path.join(labRoot, 'lib')).map((f) => path.join(labRoot, 'lib', f));

describe('lab scripts', () => {
  it.each([LAB_SCRIPT, ...libs])('parses as bash: %s', (file) => {
    expect(spawnSync('bash', ['-n', file], { encoding: 'utf8' }).stderr).toBe('');
  });

  it('keeps the guest init POSIX sh (it runs under busybox)', () => {
    const r = spawnSync('sh', ['-n', path.join(labRoot, 'guest', 'init.sh')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
  });

  it('lists every subcommand the tests rely on', () => {
    const usage = execFileSync('bash', [LAB_SCRIPT, 'help'], { encoding: 'utf8' });
    for (const cmd of ['prereq', 'up', 'down', 'status', 'hx', 'mtu', 'blackhole', 'shape', 'stop|start',
      'watchdog', 'vm-reset', 'rekey', 'guest']) {
      expect(usage).toContain(`  ${cmd}`);
    }
  });

  it('rejects an unknown subcommand with usage on stderr', () => {
    const r = spawnSync('bash', [LAB_SCRIPT, 'frobnicate'], { encoding: 'utf8' });
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/^usage: lab\.sh/);
  });
});

describe('spawn (how lab.sh starts daemons and watchdogs)', () => {
  // Daemons are started as `spawn in_host HOST ...`: a shell function, which `exec` cannot run. And a caller's
  // `flock LOCK lab.sh ...` hands its lock on fd 3: a daemon that kept it would hold the lab lock for ever.
  it('runs a shell function, with no descriptor above stderr inherited', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-spawn-'));
    try {
      const out = path.join(dir, 'fds');
      const script = `source lib/common.sh; probe() { ls /proc/$BASHPID/fd > "$1"; }; spawn probe ${JSON.stringify(out)} 3>/dev/null 7>/dev/null`;
      const r = spawnSync('bash', ['-c', script], { cwd: labRoot, encoding: 'utf8' });
      expect(r.status).toBe(0);
      const fds = readFileSync(out, 'utf8').split('\n').filter(Boolean).map(Number);
      // ls itself holds one descriptor open on the directory it lists.
      expect(fds.filter((fd) => fd > 2).length).toBeLessThanOrEqual(1);
      expect(fds).not.toContain(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('spawn_bg (how lab.sh starts a watchdog)', () => {
  // A shell left waiting for the background process would hold the caller's stdout open: Node's labCommand then
  // resolves only when the watchdog ends, and every test that arms one waits its whole period.
  it("returns to a caller that reads its output while the background process lives on", async () => {
    // Node's labCommand resolves when lab.sh's stdout closes. The earlier `spawn CMD &` left a shell waiting for CMD
    // with that stdout open, so this never closed before CMD (a watchdog: minutes) ended.
    const child = spawn('bash', ['-c', 'source lib/common.sh; spawn_bg sleep 300; echo $!'], { cwd: labRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise<void>((resolve) => child.on('close', () => resolve()));
    const pid = Number(out.trim());
    expect(pid).toBeGreaterThan(0);
    // Still alive after the caller got its answer: the background process outlives the script.
    expect(() => process.kill(pid, 0)).not.toThrow();
    process.kill(pid);
  }, 60_000);
});

describe('lab.json', () => {
  it('is written by lab.sh in the shape lab.ts reads', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-labjson-'));
    try {
      for (const h of ['hvA', 'hvB', 'hvC']) {
        const ssh = path.join(dir, 'hosts', h, 'etc-ssh');
        mkdirSync(ssh, { recursive: true });
        writeFileSync(path.join(ssh, 'ssh_host_ed25519_key.pub'), `ssh-ed25519 AAAAC3Nza${h} root@${h}\n`);
        writeFileSync(path.join(ssh, 'ssh_host_rsa_key.pub'), `ssh-rsa AAAAB3Nza${h} root@${h}\n`);
        writeFileSync(path.join(dir, 'hosts', h, 'host_uuid'), `00000000-0000-4000-8000-00000000000${h.length}\n`);
      }
      const script = ['common', 'host', 'guests', 'labjson'].map((l) => `source lib/${l}.sh`).join('; ') + '; write_lab_json';
      execFileSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: labRoot, env: { ...process.env, FERRY_LAB_DIR: dir } });

      const info = parseLabInfo(readFileSync(path.join(dir, 'lab.json'), 'utf8'));
      expect(info.dir).toBe(dir);
      expect(info.clientKey).toBe(path.join(dir, 'keys', 'client_ed25519'));
      expect(info.hosts.map((h) => [h.name, h.ip, h.port, h.user, h.mtu])).toEqual([
        ['hvA', '10.77.0.11', 22, 'root', 9000],
        ['hvB', '10.77.0.12', 22, 'root', 9000],
        ['hvC', '10.77.1.13', 22, 'root', 1500],
      ]);
      expect(info.hosts[0]?.hostKeys).toEqual({ ed25519: 'ssh-ed25519 AAAAC3NzahvA root@hvA', rsa: 'ssh-rsa AAAAB3NzahvA root@hvA' });
      expect(info.hosts[1]?.migration).toEqual({ ip: '10.77.2.12', iface: 'mig0', switchPort: 'sw2-hvB' });
      expect(info.hosts[2]).toMatchObject({ routerPort: 'r1' });
      expect(info.hosts[2]?.migration).toBeUndefined();
      expect(info.vms).toEqual([
        expect.objectContaining({ name: 'vm1', home: 'hvA', memoryMiB: 128, dirtyMiB: 0 }),
        expect.objectContaining({ name: 'vmd', home: 'hvA', memoryMiB: 256, dirtyMiB: 20 }),
      ]);
      expect(info.migrationNet.hosts).toEqual({ hvA: '10.77.2.11', hvB: '10.77.2.12' });
      expect(info.management).toEqual({ iface: 'labmgmt0', ip: '10.77.0.254' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('vm-reset after a broken post-copy run (virsh answered by a stub with the states the lab showed)', () => {
  // On the lab both halves of a split VM refuse the usual remedies only after 30 s each (domjobabort on the
  // destination, resume on the source, both waiting for the job lock): vm-reset took 81-88 s. It must destroy both
  // halves straight away and restart the guest at home, and still resume a guest that is merely paused.
  const run = (states: Record<string, string>) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-vmreset-'));
    try {
      const stub = `
        declare -A STATE=(${Object.entries(states).map(([h, s]) => `[${h}]=${JSON.stringify(s)}`).join(' ')})
        virsh_on() {
          local h=$1; shift
          printf '%s %s\\n' "$h" "$*" >>"$LOG"
          case $1 in
            domstate)
              [[ -n \${STATE[$h]:-} ]] || { echo "error: failed to get domain '$VM'" >&2; return 1; }
              if [[ $2 == --reason ]]; then printf '%s\\n\\n' "\${STATE[$h]}"; else printf '%s\\n\\n' "\${STATE[$h]%% (*}"; fi ;;
            dominfo) [[ -n \${STATE[$h]:-} ]] && printf 'Persistent:     yes\\n' ;;
            define) [[ -n \${STATE[$h]:-} ]] || STATE[$h]='shut off (unknown)' ;;
            destroy) STATE[$h]='shut off (destroyed)' ;;
            undefine) unset "STATE[$h]" ;;
            start) STATE[$h]='running (booted)' ;;
            resume) [[ \${STATE[$h]} == *'(post-copy failed)' ]] && return 1; STATE[$h]='running (unpaused)' ;;
            domjobabort) return 1 ;;
          esac
        }
        host_dir() { printf '%s/hosts/%s' "$DIR" "$1"; }
        GUEST_DIR=$DIR/guest
        mkdir -p "$DIR/hosts/hvA/log/qemu"
        vm_reset "$VM"
        for h in hvA hvB hvC; do printf 'final %s %s\\n' "$h" "\${STATE[$h]:-none}"; done
        printf 'started %s\\n' "\${STARTED_VMS[*]}"`;
      const script = ['common', 'guests'].map((l) => `source lib/${l}.sh`).join('; ') + `; ${stub}`;
      const log = path.join(dir, 'virsh.log');
      const out = execFileSync('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: labRoot,
        encoding: 'utf8',
        env: { ...process.env, DIR: dir, LOG: log, VM: 'vmd' },
      });
      return { out, calls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('destroys both halves without the 30 s waits and restarts vmd on hvA', () => {
    const { out, calls } = run({ hvA: 'paused (post-copy failed)', hvB: 'running (post-copy failed)' });
    expect(calls).toContain('hvB destroy vmd');
    expect(calls).toContain('hvB undefine vmd');
    expect(calls).not.toContain('hvB domjobabort vmd');
    expect(calls).not.toContain('hvA resume vmd');
    expect(calls.indexOf('hvA destroy vmd')).toBeLessThan(calls.indexOf('hvA start vmd'));
    expect(out).toContain('final hvA running (booted)');
    expect(out).toContain('final hvB none');
    expect(out).toContain('started vmd');
  });

  it('restarts a home half that is the running destination of a broken run back to hvA', () => {
    const { out, calls } = run({ hvA: 'running (post-copy failed)', hvB: 'paused (post-copy failed)' });
    expect(calls).not.toContain('hvB domjobabort vmd');
    expect(calls).toContain('hvA destroy vmd');
    expect(calls).toContain('hvA start vmd');
    expect(out).toContain('final hvA running (booted)');
    expect(out).toContain('final hvB none');
  });

  it('still aborts a stray copy first and resumes a guest that is merely paused at home', () => {
    const { out, calls } = run({ hvA: 'paused (user)', hvB: 'paused (migrating)' });
    expect(calls).toContain('hvB domjobabort vmd');
    expect(calls).toContain('hvA resume vmd');
    expect(calls).not.toContain('hvA start vmd');
    expect(out).toContain('final hvA running (unpaused)');
    expect(out).toContain('started \n');
  });
});

describe('vm_reset of a VM split by a broken post-copy migration', () => {
  // On the lab (libvirt 9.0) both halves keep the migration job: `domjobabort` and `resume` each waited libvirt's
  // 30 s job lock and failed, so a reset took 80 s. The halves must be destroyed straight away, the copy on hvB
  // undefined, and vmd defined and started on hvA again. virsh is replaced by a function answering as the lab did.
  it('destroys both halves without trying to abort or resume them, then starts vmd at home', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-vmreset-'));
    try {
      mkdirSync(path.join(dir, 'hosts', 'hvA', 'log', 'qemu'), { recursive: true });
      const fake = `
        virsh_on() {
          local h=$1; shift
          echo "$h $*" >>"$LAB_DIR/calls"
          local gone=$LAB_DIR/destroyed-$h
          case "$h $*" in
            'hvA domstate --reason vmd') [[ -e $gone ]] && echo 'shut off (destroyed)' || echo 'paused (post-copy failed)' ;;
            'hvB domstate --reason vmd') [[ -e $gone ]] && echo 'shut off (destroyed)' || echo 'running (post-copy failed)' ;;
            'hvA domstate vmd') [[ -e $gone ]] && echo 'shut off' || echo 'paused' ;;
            'hvB domstate vmd') [[ -e $gone ]] && echo 'shut off' || echo 'running' ;;
            'hvB dominfo vmd') echo 'Persistent:     yes' ;;
            *' destroy vmd') : >"$gone" ;;
            *' domjobabort vmd' | *' resume vmd') return 1 ;;
            'hvC '*) echo "error: failed to get domain 'vmd'" >&2; return 1 ;;
            *) ;;
          esac
        }`;
      const script = `source lib/common.sh; source lib/guests.sh; ${fake}; vm_reset vmd`;
      const r = spawnSync('bash', ['-c', script], { cwd: labRoot, encoding: 'utf8', env: { ...process.env, FERRY_LAB_DIR: dir } });
      expect(r.status, r.stderr).toBe(0);
      const calls = readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n');
      expect(calls.filter((c) => / (domjobabort|resume) /.test(c))).toEqual([]);
      expect(calls).toContain('hvA destroy vmd');
      expect(calls).toContain('hvB destroy vmd');
      expect(calls).toContain('hvB undefine vmd');
      expect(calls.indexOf('hvA start vmd')).toBeGreaterThan(calls.indexOf('hvA destroy vmd'));
      expect(r.stdout).toContain('vm-reset: removed vmd from hvB (was running)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // libvirt 9.0 leaked such a run's job once (start refused: "cannot acquire state change lock"); a restart of the
  // home host's libvirtd clears it, then the start is tried again.
  it('restarts the home libvirtd when the start is refused, and starts the VM again', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-vmreset-'));
    try {
      mkdirSync(path.join(dir, 'hosts', 'hvA', 'log', 'qemu'), { recursive: true });
      const fake = `
        virsh_on() {
          echo "$1 \${*:2}" >>"$LAB_DIR/calls"
          case "$1 \${*:2}" in
            'hvA domstate --reason vmd') echo 'shut off (destroyed)' ;;
            'hvA start vmd') [[ -e $LAB_DIR/restarted ]] || { echo 'error: Timed out during operation: cannot acquire state change lock' >&2; return 1; } ;;
            'hvB '* | 'hvC '*) return 1 ;;
            *) ;;
          esac
        }
        stop_daemon() { echo "stop $*" >>"$LAB_DIR/calls"; }
        start_daemon() { echo "start $*" >>"$LAB_DIR/calls"; : >"$LAB_DIR/restarted"; }`;
      const script = `source lib/common.sh; source lib/guests.sh; ${fake}; vm_reset vmd`;
      const r = spawnSync('bash', ['-c', script], { cwd: labRoot, encoding: 'utf8', env: { ...process.env, FERRY_LAB_DIR: dir } });
      expect(r.status, r.stderr).toBe(0);
      const calls = readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n');
      expect(calls.slice(-4)).toEqual(['hvA start vmd', 'stop hvA libvirtd', 'start hvA libvirtd', 'hvA start vmd']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('guest settings (lab.sh guest VM dirty=N rate=R)', () => {
  const cmdline = (setup: string) =>
    execFileSync('bash', ['-euo', 'pipefail', '-c', `source lib/common.sh; source lib/guests.sh; ${setup}; guest_cmdline vmd`], { cwd: labRoot, encoding: 'utf8' });

  it('keeps the canonical command line without a rate, so the guest runs the loop every test calibrated on', () => {
    expect(cmdline(':')).toBe('console=ttyS0 panic=-1 dirty=20');
    expect(cmdline('VM_DIRTY[vmd]=40; VM_RATE[vmd]=12')).toBe('console=ttyS0 panic=-1 dirty=40 rate=12');
  });

  // Redefining a running domain changes only its next boot: vm-reset must restart a guest that runs with other
  // settings, and leave alone one that runs with the canonical ones (or whose live XML cannot be read).
  const reset = (live: string | undefined) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-guest-'));
    try {
      mkdirSync(path.join(dir, 'hosts', 'hvA', 'log', 'qemu'), { recursive: true });
      const dump = live === undefined ? 'return 1' : `echo "<domain><os><cmdline>${live}</cmdline></os></domain>"`;
      const fake = `
        virsh_on() {
          echo "$1 \${*:2}" >>"$LAB_DIR/calls"
          case "$1 \${*:2}" in
            'hvA domstate --reason vmd') [[ -e $LAB_DIR/gone ]] && echo 'shut off (destroyed)' || echo 'running (booted)' ;;
            'hvA dumpxml vmd') ${dump} ;;
            'hvA destroy vmd') : >"$LAB_DIR/gone" ;;
            'hvB '* | 'hvC '*) return 1 ;;
            *) ;;
          esac
        }`;
      const script = `source lib/common.sh; source lib/guests.sh; ${fake}; vm_reset vmd; echo "started \${STARTED_VMS[*]}"`;
      const r = spawnSync('bash', ['-c', script], { cwd: labRoot, encoding: 'utf8', env: { ...process.env, FERRY_LAB_DIR: dir } });
      expect(r.status, r.stderr).toBe(0);
      const calls = readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n');
      const xml = readFileSync(path.join(dir, 'guest', 'vmd.xml'), 'utf8');
      return { calls, out: r.stdout, xml };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('restarts a guest running with other settings, defined again with the canonical ones', () => {
    const { calls, out, xml } = reset('console=ttyS0 panic=-1 dirty=40 rate=12');
    expect(xml).toContain('<cmdline>console=ttyS0 panic=-1 dirty=20</cmdline>');
    expect(calls.findIndex((c) => c.startsWith('hvA define '))).toBeLessThan(calls.indexOf('hvA destroy vmd'));
    expect(calls.indexOf('hvA destroy vmd')).toBeLessThan(calls.indexOf('hvA start vmd'));
    expect(out).toContain('started vmd');
  });

  it.each([
    ['the canonical command line', 'console=ttyS0 panic=-1 dirty=20'],
    ['an unreadable live XML', undefined],
  ])('leaves a running guest with %s alone', (_what, live) => {
    const { calls, out } = reset(live);
    expect(calls).not.toContain('hvA destroy vmd');
    expect(calls).not.toContain('hvA start vmd');
    expect(out).toContain('started \n');
  });
});
