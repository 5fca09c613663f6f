"""The sandbox's guarantees (../shared/sandbox-threats.md), each tested with a hostile program."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from codearena.engine import Verdict
from codearena.languages import get_language
from codearena.sandbox.bwrap import BASE_ENV
from codearena.sandbox import Limits


@pytest.fixture(params=["ready", "one-shot"])
def box_mode(request) -> str:
    """Every guarantee holds in a kept box (reset between runs) and in a box built per run."""
    return request.param


# -- time ---------------------------------------------------------------------------------------
def test_infinite_loop_is_tle_at_the_cpu_limit(run, no_leftovers):
    result = run("c", "int main(void){ for(;;); }", cpu_time=0.5, wall_time=5)
    assert result.verdict == Verdict.TLE and "CPU" in result.message
    assert 0.5 <= result.time < 1.5


def test_sleeping_forever_is_tle_at_the_wall_limit(run, no_leftovers):
    result = run("python", "import time; time.sleep(1000)", cpu_time=1, wall_time=1)
    assert result.verdict == Verdict.TLE and "wall" in result.message
    assert result.time < 0.5 and 1.0 <= result.wall_time < 3


def test_blocked_reader_is_tle_at_the_wall_limit(run):
    # A pipe it holds both ends of: read() blocks forever.
    result = run("python", "import os; r, w = os.pipe(); os.read(r, 1)", cpu_time=1, wall_time=1)
    assert result.verdict == Verdict.TLE and "wall" in result.message


CPU_IN_CHILDREN = r"""
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
static void burn(double seconds){ struct timespec t; do clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&t); while(t.tv_sec + t.tv_nsec/1e9 < seconds); }
int main(void){
  for (int i = 0; i < 2; i++) if (fork() == 0) { if (fork() == 0) { burn(0.3); _exit(0); } _exit(0); }
  while (wait(NULL) > 0);
  burn(0.3);
  sleep(1);  /* the grandchildren are orphans now: RUSAGE_CHILDREN would miss them */
  return 0;
}
"""


def test_cpu_time_counts_every_process_including_orphans(run):
    result = run("c", CPU_IN_CHILDREN, cpu_time=5, wall_time=5)
    assert result.verdict == Verdict.AC, result
    assert result.time >= 0.85  # 3 x 0.3 s


def test_cpu_limit_spans_threads(run):
    source = "import threading\ndef spin():\n  while True: pass\nfor _ in range(4): threading.Thread(target=spin).start()\n"
    result = run("python", source, cpu_time=0.5, wall_time=10)
    assert result.verdict == Verdict.TLE and "CPU" in result.message


# Computes until it has used @US@ microseconds of CPU by its own count, then prints that count:
# getrusage's, exact (its CPU clock moves in ticks under RLIMIT_CPU).
_OWN_CPU_UNTIL = r"""
#include <stdio.h>
#include <sys/resource.h>
static long own_us(void){
  struct rusage u; getrusage(RUSAGE_SELF,&u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000L + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}
int main(void){ while (own_us() < @US@); printf("%ld\n", own_us()); return 0; }
"""
OWN_CPU_AT_EXIT = _OWN_CPU_UNTIL.replace("@US@", "50000")


def test_cpu_time_is_the_programs_not_the_boxs_start(run):
    """A box built for its run holds bwrap and init in the run's cgroup beside the program:
    their share (building the box, some 10 ms of CPU) is left out, as a kept box's run cgroup
    holds the program alone. The program's CPU as it saw it at its end is the reported figure
    (a few ms over would be the box's start)."""
    result = run("c", OWN_CPU_AT_EXIT, cpu_time=5, wall_time=5)
    assert result.verdict == Verdict.AC, result
    own = int(result.stdout) / 1e6
    assert own - 0.001 <= result.time <= own + 0.003, (own, result.time)
    assert result.wall_time >= result.time - 0.002, result  # one thread: its wall holds its CPU


UNDER_CPU_LIMIT = _OWN_CPU_UNTIL.replace("@US@", "296000")


def test_a_program_just_under_its_cpu_limit_is_not_stopped(run):
    """4 ms under a 0.3 s limit, by its own count (getrusage: exact, unlike its CPU clock under
    RLIMIT_CPU). A box built for its run spends some 10 ms of CPU starting in the run's cgroup:
    a watcher that counted it stopped this program there and not in a kept box."""
    result = run("c", UNDER_CPU_LIMIT, cpu_time=0.3, wall_time=5)
    assert result.verdict == Verdict.AC, result
    assert result.time <= 0.3, result


UNDER_WALL_LIMIT = r"""
#include <stdio.h>
#include <time.h>
int main(void){ struct timespec pause = {0, 490000000}; nanosleep(&pause, 0); puts("woke"); return 0; }
"""


def test_a_program_just_under_its_wall_limit_is_not_stopped(run):
    """10 ms under a 0.5 s wall limit; a box built for its run takes 10-40 ms of wall to start
    before the program's clock starts."""
    result = run("c", UNDER_WALL_LIMIT, cpu_time=1, wall_time=0.5)
    assert result.verdict == Verdict.AC, result
    assert 0.49 <= result.wall_time <= 0.5, result


def test_a_sleeper_past_its_wall_limit_is_stopped_at_it(run):
    source = "#include <unistd.h>\nint main(void){ usleep(560000); return 0; }\n"
    result = run("c", source, cpu_time=1, wall_time=0.5)
    assert result.verdict == Verdict.TLE, result


# -- memory -------------------------------------------------------------------------------------
MEMORY_BOMBS = {
    "python": "a = []\nwhile True: a.append(bytearray(1 << 20))",
    "javascript": "const a = []; while (true) a.push(Buffer.alloc(1 << 20, 1));",
    "c": "#include <stdlib.h>\n#include <string.h>\nint main(void){ for(;;){ char *p = malloc(1<<20); if(!p) return 1; memset(p, 1, 1<<20);} }",
    "cpp": "#include <vector>\nint main(){ std::vector<std::vector<char>> v; for(;;) v.emplace_back(1<<20, 'x'); }",
    "java": "import java.util.*;\npublic class Main{public static void main(String[] a){List<long[]> l=new ArrayList<>();for(;;)l.add(new long[1<<17]);}}",
}


@pytest.mark.parametrize("language", sorted(MEMORY_BOMBS))
def test_memory_bomb_is_mle(run, sandbox, language, no_leftovers):
    result = run(language, MEMORY_BOMBS[language], memory_mb=64, cpu_time=5, wall_time=10)
    assert result.verdict == Verdict.MLE, result
    # The reported peak never exceeds the limit that stopped it (runtimes' own allowance aside).
    assert 0 < result.memory <= 64 * 1024
    after = run("c", "int main(void){return 0;}")
    assert after.verdict == Verdict.AC  # the host and the sandbox are fine


def test_memory_written_to_tmpfs_counts(run):
    source = "f = open('/dev/shm/x', 'wb')\nwhile True: f.write(b'x' * (1 << 20))"
    result = run("python", source, memory_mb=32, disk_mb=512, file_size_mb=1024, cpu_time=5)
    assert result.verdict in (Verdict.MLE, Verdict.RE)
    assert result.memory <= 40 * 1024


RESERVE_64G = r"""
#include <stdio.h>
#include <sys/mman.h>
int main(void){
  char *p = mmap(NULL, 64UL << 30, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); return 1; }
  p[0] = 1; p[1UL << 35] = 1;
  puts("ok");
  return 0;
}
"""


def test_reserving_is_not_using(run):
    result = run("c", RESERVE_64G, memory_mb=64)
    assert result.verdict == Verdict.AC, result
    assert result.memory < 4 * 1024  # about 1 MiB of real use


def test_stack_overflow_is_a_clean_runtime_error(run):
    result = run("c", "int f(int n){ volatile char b[4096]; b[0]=n; return f(n+1)+b[0]; }\nint main(void){ return f(0); }")
    assert result.verdict == Verdict.RE and result.signal == 11


# -- processes ----------------------------------------------------------------------------------
def test_fork_bomb_is_contained(run, sandbox, no_leftovers):
    result = run("c", "#include <unistd.h>\nint main(void){ for(;;) fork(); }", cpu_time=1, wall_time=3, processes=16)
    assert result.verdict == Verdict.TLE


def test_process_count_is_bounded(run):
    source = ("import os\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            import time; time.sleep(30)\n"
              "        n += 1\nexcept OSError:\n    print(n)\n")
    result = run("python", source, processes=10, wall_time=5)
    assert result.verdict == Verdict.AC, result
    assert int(result.stdout) <= 10


def test_daemons_do_not_survive_the_run(run, sandbox, no_leftovers):
    source = ("import os\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        import time\n"
              "        time.sleep(60)\n    os._exit(0)\nprint('parent done')\n")
    result = run("python", source)
    assert result.verdict == Verdict.AC and result.stdout == "parent done\n"
    # no_leftovers: the grandchild (a daemon) is gone by the time the verdict exists


# -- output, files, descriptors ----------------------------------------------------------------
def test_output_flood_is_ole_and_capped(run, no_leftovers):
    result = run("c", '#include <stdio.h>\nint main(void){ for(;;) fputs("yyyyyyyyyyyyyyy\\n", stdout); }',
                 stdout_bytes=100_000)
    assert result.verdict == Verdict.OLE
    assert len(result.stdout) <= 100_000


def test_stderr_flood_is_ole_and_capped(run):
    result = run("python", "import sys\nwhile True: sys.stderr.write('e' * 4096)", stderr_bytes=10_000)
    assert result.verdict == Verdict.OLE
    assert len(result.stderr) <= 10_000


def test_huge_file_is_stopped_by_the_file_size_limit(run):
    result = run("c", '#include <stdio.h>\nint main(void){ FILE*f=fopen("big","w"); for(;;) fputc(1,f); }',
                 file_size_mb=1, disk_mb=64)
    assert result.verdict == Verdict.RE and result.signal == 25  # SIGXFSZ
    assert "file size" in result.message


@pytest.mark.parametrize("where", ["/box", "/tmp", "/dev/shm"])
def test_filling_the_disk_is_stopped(run, where):
    source = (f"import os\nn = 0\ntry:\n    for i in range(100000):\n        with open('{where}/f%d' % i, 'wb') as f:\n"
              "            f.write(b'x' * (1 << 20)); n += 1\nexcept OSError as e:\n    print(n, e.errno)\n")
    result = run("python", source, disk_mb=8, memory_mb=256)
    assert result.verdict == Verdict.AC, result
    written, errno = map(int, result.stdout.split())
    assert written <= 8 and errno == 28  # ENOSPC


def test_inodes_are_bounded(run):
    source = ("n = 0\ntry:\n    while True:\n        open('/box/f%d' % n, 'w').close(); n += 1\n"
              "except OSError as e:\n    print(n, e.errno)\n")
    result = run("python", source, cpu_time=5)
    assert result.verdict == Verdict.AC, result
    created, errno = map(int, result.stdout.split())
    assert created < 5000 and errno == 28


def test_only_standard_descriptors_are_inherited(run, sandbox):
    leak_r, leak_w = os.pipe()  # an fd of the service without CLOEXEC, as a careless library leaves them
    os.set_inheritable(leak_w, True)
    try:
        source = "import os\nopen_fds = []\nfor fd in range(3, 1024):\n    try: os.fstat(fd); open_fds.append(fd)\n    except OSError: pass\nprint(open_fds)\n"
        result = run("python", source)
    finally:
        os.close(leak_r)
        os.close(leak_w)
    assert result.verdict == Verdict.AC and result.stdout == "[]\n"


def test_open_files_are_bounded(run):
    source = "fs = []\ntry:\n    while True: fs.append(open('/dev/null'))\nexcept OSError as e:\n    print(len(fs), e.errno)\n"
    result = run("python", source, open_files=32)
    count, errno = map(int, result.stdout.split())
    assert count < 32 and errno == 24  # EMFILE


# -- what the program can see and do ------------------------------------------------------------
def test_host_secrets_and_service_environment_are_invisible(run, monkeypatch):
    monkeypatch.setenv("CODEARENA_TEST_SECRET", "s3cr3t-token")
    source = r"""
import os
print('shadow', os.path.exists('/etc/shadow'))
print('root', os.path.exists('/root'))
print('home', os.path.exists('/home'))
print('var', os.path.exists('/var/lib/codearena'))
print('env', 's3cr3t' in repr(dict(os.environ)))
leaks = []
for pid in os.listdir('/proc'):
    if pid.isdigit():
        try:
            if b's3cr3t' in open(f'/proc/{pid}/environ', 'rb').read(): leaks.append(pid)
        except OSError:
            pass
print('proc', leaks)
try:
    print('pid1env', open('/proc/1/environ', 'rb').read().split(b'\0'))
except PermissionError:
    print('pid1env', [])
"""
    result = run("python", source)
    lines = result.stdout.splitlines()
    assert lines[:6] == ["shadow False", "root False", "home False", "var False", "env False", "proc []"]
    pid1_keys = {entry.split(b"=")[0] for entry in eval(lines[6].split(" ", 1)[1]) if entry}
    # pid 1 is codearena-init: the program itself, with exactly its own minimal environment, or a
    # kept box's init, which the program may not read at all (it is not dumpable).
    allowed = {*BASE_ENV, *get_language("python").env, "PWD"}
    assert pid1_keys <= {key.encode() for key in allowed}, pid1_keys


def test_no_network_at_all(run):
    source = r"""
import socket
for port in (6379, 5432, 80):
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect(('127.0.0.1', port)); print(port, 'CONNECTED')
    except OSError as e:
        print(port, 'refused')
print(sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]))
try:
    socket.getaddrinfo('example.com', 80); print('dns works')
except OSError:
    print('no dns')
"""
    result = run("python", source, wall_time=10)
    assert result.stdout.splitlines() == ["6379 refused", "5432 refused", "80 refused", "['lo']", "no dns"]


def test_no_privilege_can_be_gained(run):
    source = r"""
status = dict(l.split(':', 1) for l in open('/proc/self/status'))
print('caps', status['CapEff'].strip(), status['CapBnd'].strip())
print('nnp', status['NoNewPrivs'].strip(), 'seccomp', status['Seccomp'].strip())
import os, subprocess
print('uid', os.getuid())
for label, argv in [
    ('remount', ['mount', '-o', 'remount,rw', '/usr']),
    ('cgroupfs', ['mount', '-t', 'cgroup', '-o', 'memory', 'none', '/tmp']),
    ('userns', ['unshare', '-U', 'true']),
]:
    print(label, subprocess.run(argv, capture_output=True).returncode != 0)
for path in ['/proc/sys/kernel/core_pattern', '/proc/sys/vm/overcommit_memory', '/usr/bin/python3', '/etc/passwd_new']:
    try:
        open(path, 'w').write('x'); print(path, 'WRITABLE')
    except OSError:
        print(path, 'denied')
"""
    result = run("python", source, wall_time=10)
    lines = result.stdout.splitlines()
    assert lines[0] == "caps 0000000000000000 0000000000000000"
    assert lines[1] == "nnp 1 seccomp 2"
    assert lines[2] == "uid 1000"
    assert lines[3:6] == ["remount True", "cgroupfs True", "userns True"]
    assert all(line.endswith("denied") for line in lines[6:]), lines


def test_seccomp_blocks_locks_io_uring_and_ptrace(run):
    source = r"""
#include <errno.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <fcntl.h>
int main(void){
  int fd = open("/usr/bin/env", O_RDONLY);
  printf("flock %d\n", flock(fd, LOCK_SH) == -1 && errno == EPERM);
  struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
  printf("fcntl %d\n", fcntl(fd, F_SETLK, &fl) == -1 && errno == EPERM);
  printf("io_uring %d\n", syscall(SYS_io_uring_setup, 1, NULL) == -1 && errno == EPERM);
  printf("ptrace %d\n", ptrace(PTRACE_TRACEME, 0, 0, 0) == -1 && errno == EPERM);
  printf("bpf %d\n", syscall(SYS_bpf, 0, NULL, 0) == -1 && errno == EPERM);
  return 0;
}
"""
    result = run("c", source)
    assert result.stdout == "flock 1\nfcntl 1\nio_uring 1\nptrace 1\nbpf 1\n", result


def test_seccomp_refuses_file_watching(run):
    source = r"""
#include <errno.h>
#include <stdio.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void){
  printf("inotify_init1 %d\n", inotify_init1(0) == -1 && errno == EPERM);
  printf("inotify_init %d\n", syscall(SYS_inotify_init) == -1 && errno == EPERM);
  printf("inotify_add_watch %d\n", inotify_add_watch(0, "/usr", IN_OPEN) == -1 && errno == EPERM);
  printf("fanotify_init %d\n", fanotify_init(0, 0) == -1 && errno == EPERM);
  printf("fanotify_mark %d\n", fanotify_mark(0, FAN_MARK_ADD, FAN_OPEN, 0, "/usr") == -1 && errno == EPERM);
  return 0;
}
"""
    result = run("c", source)
    assert result.stdout == "".join(f"{name} 1\n" for name in (
        "inotify_init1", "inotify_init", "inotify_add_watch", "fanotify_init", "fanotify_mark")), result


def test_host_kernel_command_line_and_host_paths_are_not_readable(run, sandbox):
    source = ("try:\n    print('cmdline', repr(open('/proc/cmdline').read()))\nexcept OSError as e:\n    print('cmdline denied')\n"
              "for name in ('/proc/self/mountinfo', '/proc/self/mounts', '/proc/mounts'):\n    print(open(name).read())\n")
    for language, program in (("python", source), ("c", '#include <stdio.h>\nint main(){char b[65536];FILE*f='
                              'fopen("/proc/self/mountinfo","r");size_t n=fread(b,1,65535,f);fwrite(b,1,n,stdout);}')):
        result = run(language, program)
        assert result.verdict == Verdict.AC, result
        if language == "python":
            assert result.stdout.startswith(("cmdline denied\n", "cmdline ''\n")), result.stdout[:300]
        assert str(sandbox.settings.state_dir) not in result.stdout  # no box, cache or helper path of the host
        assert "/box" in result.stdout  # it is the mount table, only without host paths


def test_other_processes_are_invisible(run):
    source = "import os\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))"
    result = run("python", source)
    pids = eval(result.stdout)
    assert len(pids) <= 4 and max(pids) < 10  # bwrap's init, codearena-init, python


def test_system_is_read_only_except_box_and_tmp(run):
    source = r"""
for path in ['/box/a', '/tmp/b', '/dev/shm/c', '/x', '/usr/x', '/dev/x', '/etc/x']:
    try:
        open(path, 'w').write('1'); print(path, 'ok')
    except OSError:
        print(path, 'denied')
"""
    result = run("python", source)
    assert result.stdout.split() == ["/box/a", "ok", "/tmp/b", "ok", "/dev/shm/c", "ok", "/x", "denied",
                                     "/usr/x", "denied", "/dev/x", "denied", "/etc/x", "denied"]


# -- teardown and the trusted side -------------------------------------------------------------
def test_planted_symlinks_are_never_followed(sandbox, tmp_path, no_leftovers):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    source = (f"import os\nos.symlink('{victim}', '/box/link')\nos.symlink('{tmp_path}', '/box/dirlink')\n"
              f"os.symlink('{victim}', '/tmp/tlink')\nos.mkfifo('/box/fifo')\n"
              "os.mkdir('/box/sub')\nopen('/box/sub/kept.txt', 'w').write('kept')\n"
              f"os.symlink('{victim}', '/box/sub/link')\n")
    with sandbox.box() as box:
        run_result = sandbox.run(box, ["/usr/bin/python3", "-c", source], limits=Limits())
        assert run_result.ok, run_result
        assert os.path.islink(box.work / "link")
        # Reading what the program left (a compiler's artifacts) never follows a link, into a
        # file or a directory, and never blocks on a FIFO: only the regular file is read.
        assert [(path, data) for path, data, _mode in box.read_tree(10, 1000)] == [("sub/kept.txt", b"kept")]
    assert victim.read_text() == "precious"  # cleanup did not follow the links
    assert tmp_path.is_dir()


def test_concurrent_runs_cannot_see_each_other(sandbox, run):
    marker = "secret-of-run-a-%d" % os.getpid()
    writer = f"open('/box/{marker}', 'w').write('x'); open('/tmp/{marker}', 'w').write('x')\nimport time\ntime.sleep(60)"
    results = {}

    def run_a():
        results["a"] = run("python", writer, cpu_time=1, wall_time=4)

    thread = threading.Thread(target=run_a)
    thread.start()
    try:
        # Wait (on the host's view) until run A has written its files.
        deadline = time.monotonic() + 10
        while not any(Path(p).exists() for p in sandbox.boxes_dir.glob(f"*/work/{marker}")):
            assert time.monotonic() < deadline, "run A never wrote its marker"
            time.sleep(0.01)
        finder = (f"import os\nfound = []\nfor top in ['/box', '/tmp', '/dev/shm', '/proc']:\n"
                  f"    for root, dirs, files in os.walk(top):\n"
                  f"        if root.startswith('/proc/') and root.count('/') > 2: dirs[:] = []\n"
                  f"        found += [os.path.join(root, f) for f in files if '{marker}' in f]\n"
                  f"print(found)\n")
        result_b = run("python", finder, wall_time=10, cpu_time=5)
    finally:
        thread.join()
    assert result_b.stdout == "[]\n", result_b
    assert results["a"].verdict == Verdict.TLE


def test_no_state_survives_between_runs(run):
    first = run("python", "open('/box/left', 'w').write('1'); open('/tmp/left', 'w').write('1')")
    second = run("python", "import os; print(os.path.exists('/box/left'), os.path.exists('/tmp/left'))")
    assert first.verdict == Verdict.AC and second.stdout == "False False\n"


# -- compilation is untrusted too ----------------------------------------------------------------
def test_compiler_reading_dev_random_ends_as_ce(run, no_leftovers):
    result = run("c", "#include </dev/random>\nint main(void){return 0;}")
    assert result.verdict == Verdict.CE


def test_template_bomb_ends_as_ce(run):
    bomb = ("template<int N> struct B { static const int v = B<N-1>::v + B<N-2>::v; };\n"
            "template<> struct B<0> { static const int v = 0; };\ntemplate<> struct B<1> { static const int v = 1; };\n"
            "int main(){ return B<100000>::v; }\n")
    result = run("cpp", bomb)
    assert result.verdict == Verdict.CE


def test_compiler_cannot_include_host_secrets(run):
    result = run("c", '#include "/etc/shadow"\nint main(void){return 0;}')
    assert result.verdict == Verdict.CE
    assert "No such file" in result.compile_output


def test_compiler_environment_is_clean(run, monkeypatch):
    monkeypatch.setenv("CODEARENA_TEST_SECRET", "s3cr3t-token")
    # The preprocessor sees the compiler's environment through __has_include of /proc/self/environ: read it.
    result = run("c", '#include <stdio.h>\nint main(void){return 0;}\n#include "/proc/self/environ"\n')
    assert "s3cr3t" not in result.compile_output


def test_messages_never_hold_host_paths(run, sandbox):
    java = run("java", "public class " + "A" * 300 + " { public static void main(String[] a) {} }")
    assert java.verdict == Verdict.CE and "shorter name" in java.message
    from codearena.sandbox import Bind
    with sandbox.box() as box:  # a sandbox failure (bwrap cannot set the box up) names no host path
        failed = sandbox.run(box, ["/usr/bin/true"], limits=Limits(), binds=[Bind(str(sandbox.settings.state_dir / "missing"), "/x")])
    assert failed.notes and "<state>" in failed.notes[0]
    assert str(sandbox.settings.state_dir) not in failed.notes[0] + failed.stderr.decode()
