"""Kept boxes (issue 16): a box started once and reset between runs must hand each run a box
that nothing of an earlier run reaches: files, processes, IPC objects, environment, open
descriptors, cgroup counters, peak memory. Each test runs a program that leaves as much as it
can, then a probe in the same started box (checked: the box was reset and reused, not rebuilt).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess

import pytest

from codearena.engine import Verdict, execute
from codearena.languages import LANGUAGES, get_language, toolchain
from codearena.sandbox import Limits, keep_boxes, tidy_kept_boxes
from codearena.sandbox.runner import cgroup_name
from codearena.sandbox.bwrap import BASE_ENV

from .language_programs import EXIT_3, MEMORY, PROCESSES
from .support import every_prepared_file_found

# Reports, as JSON, everything of the box a run could see of an earlier one.
PROBE = r"""
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
extern char **environ;
static void list(const char *key, const char *path, const char *skip) {
  printf("\"%s\": [", key);
  DIR *d = opendir(path); struct dirent *e; int first = 1;
  while (d && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "main.c") ||
        (skip && !strcmp(e->d_name, skip))) continue;  /* its own source and binary */
    printf("%s\"%s\"", first ? "" : ", ", e->d_name); first = 0;
  }
  if (d) closedir(d);
  printf("], ");
}
static int ipc_objects(const char *path) {
  FILE *f = fopen(path, "r"); int lines = 0, c;
  if (!f) return -1;
  while ((c = fgetc(f)) != EOF) lines += c == '\n';
  fclose(f);
  return lines - 1;  /* the header */
}
int main(int argc, char **argv) {
  const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  printf("{");
  list("box", "/box", self); list("tmp", "/tmp", NULL); list("devshm", "/dev/shm", NULL);
  char mine[16]; snprintf(mine, sizeof mine, "%d", getpid());
  printf("\"processes\": [");
  DIR *d = opendir("/proc"); struct dirent *e; int first = 1;
  while ((e = readdir(d))) if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && strcmp(e->d_name, "1") && strcmp(e->d_name, mine)) {
    printf("%s\"%s\"", first ? "" : ", ", e->d_name); first = 0; }
  closedir(d);
  printf("], \"fds\": [");
  first = 1;
  for (int fd = 0; fd < 1024; fd++) if (fcntl(fd, 1) >= 0) { printf("%s%d", first ? "" : ", ", fd); first = 0; }
  printf("], \"shm\": %d, \"sem\": %d, \"msg\": %d, ", ipc_objects("/proc/sysvipc/shm"),
         ipc_objects("/proc/sysvipc/sem"), ipc_objects("/proc/sysvipc/msg"));
  struct stat st; stat("/box", &st);
  char names[256];
  printf("\"box_mode\": %d, \"box_xattrs\": %zd, \"tmp_xattrs\": %zd, \"env\": [", st.st_mode & 07777,
         listxattr("/box", names, sizeof names), listxattr("/tmp", names, sizeof names));
  for (char **v = environ; *v; v++) printf("%s\"%s\"", v == environ ? "" : ", ", *v);
  printf("]}\n");
  return 0;
}
""".replace("fcntl(fd, 1)", "fcntl(fd, F_GETFD)").replace("#include <unistd.h>", "#include <unistd.h>\n#include <fcntl.h>")

# Leaves everything it can: files, a daemon, System V IPC objects, a changed /box, and a peak of
# memory and CPU time that a next run must not be charged.
LEAVE = r"""
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/xattr.h>
int main(void) {
  const char *files[] = {"/box/left", "/tmp/left", "/dev/shm/left"};
  for (int i = 0; i < 3; i++) { FILE *f = fopen(files[i], "w"); if (!f) return 10 + i; fputs("left", f); fclose(f); }
  mkdir("/tmp/dir", 0); symlink("/etc/passwd", "/box/link");
  if (shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600) < 0) return 20;
  if (semget(IPC_PRIVATE, 1, IPC_CREAT | 0600) < 0) return 21;
  if (msgget(IPC_PRIVATE, IPC_CREAT | 0600) < 0) return 22;
  int xattr = setxattr("/box", "user.left", "1", 1, 0);
  chmod("/box", 0700);
  setenv("LEFT", "1", 1);
  open("/box/left", O_RDONLY);  /* an open descriptor */
  if (fork() == 0) { setsid(); if (fork() == 0) { sleep(1000); _exit(0); } _exit(0); }
  size_t size = 100 << 20; char *p = malloc(size); memset(p, 1, size);
  struct timespec t; do clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); while (t.tv_sec + t.tv_nsec / 1e9 < 0.3);
  printf("xattr %d %d\n", xattr, p[size - 1]);
  return 0;
}
"""


@pytest.fixture
def kept(sandbox):
    """This thread keeps its box for the test; returns a function telling the started box's
    identity (its bwrap's pid, or None between a failed reset and the next run) and run count (a probe must run in the same started box, reset, not rebuilt)."""
    if not sandbox.ready_supported:
        pytest.skip("kept boxes need root, cgroups and isolation")
    def started_box() -> tuple[int | None, int]:
        server = sandbox.kept.server  # its bwrap's pid names it: an object's id() can be reused
        return (server.process.pid, server.runs) if server else (None, 0)

    with keep_boxes():
        yield started_box


def probe(sandbox) -> tuple[dict, object]:
    result = execute(PROBE, "c", "", Limits(memory_mb=64), sandbox=sandbox)
    assert result.verdict == Verdict.AC, result
    return json.loads(result.stdout), result


def assert_clean(report: dict) -> None:
    assert report["box"] == [] and report["tmp"] == [] and report["devshm"] == [], report
    assert report["processes"] == [], report
    assert report["fds"] == [0, 1, 2], report
    assert (report["shm"], report["sem"], report["msg"]) == (0, 0, 0), report
    assert report["box_mode"] == 0o755 and report["box_xattrs"] <= 0 and report["tmp_xattrs"] <= 0, report
    assert {entry.split("=")[0] for entry in report["env"]} == set(BASE_ENV), report


def test_nothing_of_a_run_reaches_the_next_in_the_same_box(sandbox, kept):
    first, _ = probe(sandbox)
    assert_clean(first)
    box_before, runs_before = kept()
    left = execute(LEAVE, "c", "", Limits(memory_mb=256, cpu_time=5), sandbox=sandbox)
    assert left.verdict == Verdict.AC, left
    assert left.memory >= 100 * 1024 and left.time >= 0.3  # it did leave all that
    report, result = probe(sandbox)
    assert_clean(report)
    box_after, runs_after = kept()
    assert box_after == box_before and runs_after > runs_before  # reset and reused, not rebuilt
    # The box's cgroup counters start again: neither the memory peak nor the CPU time of the
    # run before is the probe's.
    assert result.memory < 50 * 1024 and result.time < 0.2, result


def test_a_runs_clean_up_waits_for_idle_and_its_processes_do_not(sandbox, kept):
    """After a run its processes are dead at once; its box's reset, its cgroup and its files
    are cleared when the thread is idle (tidy_kept_boxes), before any other run, and the next
    run is armed."""
    probe(sandbox)
    left = execute(LEAVE, "c", "", Limits(memory_mb=256, cpu_time=5), sandbox=sandbox)
    assert left.verdict == Verdict.AC, left
    box = sandbox.kept._mine.box
    cgroup = sandbox.cgroups._cgroup(cgroup_name(box.slot.uid))
    assert any(d.exists() for d in cgroup.dirs.values())  # left for later ...
    assert cgroup.pids() == []  # ... but the daemon it started died with the run
    assert (box.work / "left").exists()
    tidy_kept_boxes()  # ... and cleared when idle, with the next run armed: its child alone in
    # the run's cgroup (recycled: counters reset), waiting
    armed = sandbox.kept._mine.armed
    assert armed is not None and armed.cgroup.dirs == cgroup.dirs
    assert len(cgroup.pids()) == 1 and cgroup.cpu_seconds() < 0.01 and cgroup.memory_peak_bytes() < 8 << 20
    assert not (box.work / "left").exists()
    report, _ = probe(sandbox)
    assert_clean(report)


def test_a_run_too_big_for_one_request_is_one_shot_and_the_box_serves_the_next(sandbox, kept):
    """Past REQUEST_LIMIT the armed child is disarmed and the run gets a bwrap of its own, in the
    same box directory; the started box is still there for the next run."""
    probe(sandbox)
    tidy_kept_boxes()
    assert sandbox.kept._mine.armed is not None  # the next run's child waits: it will be disarmed
    box_before, runs_before = kept()
    words = ["x" * 50_000] * 4  # 200 kB of argv: more than one request holds
    with sandbox.box() as box:
        result = sandbox.run(box, ["/bin/sh", "-c", 'echo "$#"', "sh", *words], limits=Limits())
    assert result.ok and result.stdout == b"4\n", result
    assert kept() == (box_before, runs_before)  # not a request to the started box
    report, _ = probe(sandbox)
    assert_clean(report)
    assert kept()[0] == box_before and kept()[1] > runs_before  # which served the next run


# The BEAM uses its network namespace as it starts (every program, not only these): after each
# run their box is replaced, not reset (see test_a_run_that_used_the_network_gets_the_box_replaced).
TOUCHES_THE_NETWORK = {"erlang", "elixir"}


def _probe_after(sandbox, kept, language: str, source: str, **limits) -> None:
    box_before, _ = kept()
    execute(source, language, "", Limits(**limits), sandbox=sandbox)
    report, result = probe(sandbox)
    assert_clean(report)
    assert result.memory < 50 * 1024 and result.time < 0.2, (language, result)
    if language in TOUCHES_THE_NETWORK:
        assert kept()[0] != box_before  # replaced: its network namespace was used
    elif box_before is not None and toolchain.box_binds(get_language(language)) == toolchain.box_binds(get_language("c")):
        assert kept()[0] == box_before  # the same started box served both (another bind set needs its own)


@pytest.mark.parametrize("language", [lang.id for lang in LANGUAGES])
def test_each_language_leaves_nothing_for_the_next_run(sandbox, kept, language):
    """Its compiler's and its program's files, its processes or threads (up to the limit), and
    its memory: none of it is in the box when the next run starts."""
    every_prepared_file_found()  # a lookup ending mid-test would change the bind set (a new box)
    probe(sandbox)  # the box is started
    source = PROCESSES.get(language) or EXIT_3[language]
    _probe_after(sandbox, kept, language, source, processes=8, wall_time=10)
    if MEMORY.get(language):
        _probe_after(sandbox, kept, language, MEMORY[language], memory_mb=64, wall_time=10)


HOSTILE_TO_INIT = r"""
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
  for (int s = 1; s < 32; s++) kill(1, s);   /* a namespace's init ignores what its programs send */
  printf("mem %d fd %d environ %d\n", open("/proc/1/mem", O_RDWR), open("/proc/1/fd/3", O_RDWR),
         open("/proc/1/environ", O_RDONLY));
  return 0;
}
"""


# Allocates and touches 100 MB, then forks 20 children that wait: says how many it could start.
ALLOCATE_AND_FORK = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void) {
  size_t size = 100 << 20; char *p = malloc(size); if (!p) return 1; memset(p, 1, size);
  int started = 0;
  for (int i = 0; i < 20; i++) { pid_t pid = fork(); if (pid == 0) { sleep(5); _exit(0); } if (pid > 0) started++; }
  printf("%d\n", started);
  return 0;
}
"""


def test_each_run_in_a_kept_box_has_its_own_limits(sandbox, kept):
    """A box's limits are written only when they change: whatever the run before it in the same
    started box had, a run gets its own memory and process limits."""
    probe(sandbox)
    box_before = kept()[0]
    for memory_mb, processes, verdict, started in [(64, 64, Verdict.MLE, None), (64, 64, Verdict.MLE, None),
                                                   (256, 64, Verdict.AC, "20\n"),
                                                   (256, 8, Verdict.AC, None), (64, 64, Verdict.MLE, None),
                                                   (256, 64, Verdict.AC, "20\n")]:
        result = execute(ALLOCATE_AND_FORK, "c", "", Limits(memory_mb=memory_mb, processes=processes, wall_time=10),
                         sandbox=sandbox)
        assert result.verdict == verdict, (memory_mb, processes, result)
        if started:
            assert result.stdout == started, result
        elif verdict == Verdict.AC:
            assert int(result.stdout) < 8, result  # the process limit held
    assert kept()[0] == box_before  # one started box served every run


def _cgroup_files_open(uid: int) -> list[str]:
    """This process's descriptors of files in the cgroups of the box with `uid`."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("/sys/fs/cgroup") and f"/{cgroup_name(uid)}/" in target:
            found.append(target)
    return found


def test_a_kept_boxs_cgroup_files_stay_open_only_while_it_lives(sandbox):
    """The files a run reads and writes every time are opened once; once the box ends, none of
    its cgroups' files is still open here."""
    if not sandbox.ready_supported:
        pytest.skip("kept boxes need root, cgroups and isolation")
    with keep_boxes():
        probe(sandbox)
        tidy_kept_boxes()
        uid = sandbox.kept._mine.box.slot.uid
        held = _cgroup_files_open(uid)
        assert held, "the run's cgroup files are kept open between runs"
        probe(sandbox)
        tidy_kept_boxes()
        assert len(_cgroup_files_open(uid)) == len(held)  # the same ones, not more each run
    assert _cgroup_files_open(uid) == []


# Waits for stdin's end, then touches argv[1] MiB of memory and, with argv[2], writes a file of
# that size there (a file in a tmpfs outlives its writer and stays charged to its cgroup).
CHARGE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  while (getchar() != EOF) {}
  size_t size = (size_t)atoi(argv[1]) << 20; char *p = malloc(size); if (!p) return 1; memset(p, 1, size);
  if (argc > 2) { FILE *f = fopen(argv[2], "w"); if (!f || fwrite(p, 1, size, f) != size) return 2; fclose(f); }
  return 0;
}
"""


@pytest.fixture
def charge(tmp_path):
    """charge(cgroup, mib, path=None): the CHARGE program's run, inside `cgroup` (from its
    start: it is moved there before it touches anything), to its end."""
    binary = tmp_path / "charge"
    subprocess.run(["gcc", "-O1", "-o", str(binary), "-x", "c", "-"], input=CHARGE.encode(), check=True)

    def run(cgroup, mib: int, path: str | None = None) -> None:
        child = subprocess.Popen([str(binary), str(mib), *([path] if path else [])], stdin=subprocess.PIPE)
        cgroup.attach(child.pid)
        child.communicate(b"")
        assert child.returncode == 0

    return run


def test_a_v1_memory_cgroup_serves_the_next_run_only_when_it_holds_little(sandbox, charge):
    """cgroup v1: a run's memory cgroup is kept for the next run of its box when the run left
    at most a little charged to it (its peak restarts there, and the next run's limit and peak
    leave that little out), and made anew when it left more (a new one starts empty)."""
    if sandbox.cgroups is None or sandbox.cgroups.version != 1:
        pytest.skip("cgroup v1 only (v2 makes each run's memory cgroup anew)")
    cgroup = sandbox.cgroups.create("box-recycle-test")
    try:
        memory = cgroup.dirs["memory"]
        charge(cgroup, 64)  # 64 MiB, freed when it exits
        assert cgroup.memory_peak_bytes() > 60 << 20
        inode = os.stat(memory).st_ino
        held = int(open(f"{memory}/memory.usage_in_bytes").read())
        assert cgroup.recycle() == [], held  # it holds little once its process is gone: kept
        assert os.stat(memory).st_ino == inode
        assert cgroup.memory_peak_bytes() < 1 << 20  # the last run's peak is not the next one's
        cgroup.set_limits(32 << 20, 16)
        limit = int(open(f"{memory}/memory.limit_in_bytes").read())
        assert 32 << 20 <= limit <= (32 << 20) + (1 << 20)  # raised by what it still holds, at most 1 MiB
        left = f"/dev/shm/codearena-test-{os.getpid()}"
        try:
            charge(cgroup, 4, left)
            removed = cgroup.recycle()
            assert removed == [memory]  # too much held: removed, and made again by renew
            sandbox.cgroups.renew(removed)
            assert os.stat(memory).st_ino != inode
            assert int(open(f"{memory}/memory.usage_in_bytes").read()) == 0
            assert cgroup.memory_peak_bytes() == 0
        finally:
            os.unlink(left)
    finally:
        cgroup.remove()


def test_a_run_cannot_reach_the_boxs_init(sandbox, kept):
    probe(sandbox)
    before = kept()
    result = execute(HOSTILE_TO_INIT, "c", "", sandbox=sandbox)
    assert result.verdict == Verdict.AC and result.stdout == "mem -1 fd -1 environ -1\n", result
    report, _ = probe(sandbox)
    assert_clean(report)
    assert kept()[0] == before[0]  # init survived every signal and served the probe


def test_a_box_that_died_is_replaced_and_the_next_run_is_unaffected(sandbox, kept):
    probe(sandbox)
    dead = kept()[0]
    os.killpg(sandbox.kept.server.process.pid, signal.SIGKILL)  # bwrap, and with it the box's init
    sandbox.kept.server.process.wait()
    report, _ = probe(sandbox)
    assert_clean(report)
    assert kept()[0] != dead


def test_a_box_inside_a_kept_box_is_built_for_its_run(sandbox, kept):
    probe(sandbox)
    with sandbox.box() as outer:
        with sandbox.box() as inner:  # the kept box is in use: this one is built and torn down
            assert inner.root != outer.root
            inner.write_file("x", b"")
            result = sandbox.run(inner, ["/bin/ls"], limits=Limits())
            assert result.ok and result.stdout == b"x\n", result
    report, _ = probe(sandbox)
    assert_clean(report)


SEES_DEBIAN_VERSION = '#include <stdio.h>\n#include <unistd.h>\nint main(){printf("%d\\n", access("/etc/debian_version", F_OK) == 0);}\n'


def test_runs_take_turns_with_another_bind_set(sandbox, kept):
    """Two bind sets in one thread (a language built outside the catalog has its own): the box is
    started again for each, and a run never sees another bind set's mounts."""
    other = dataclasses.replace(get_language("c"), id="c-other-binds", extra_binds=("/etc/debian_version",))
    seen = execute(SEES_DEBIAN_VERSION, other, sandbox=sandbox)
    assert seen.verdict == Verdict.AC and seen.stdout == "1\n", seen
    other_box = kept()[0]
    unseen = execute(SEES_DEBIAN_VERSION, "c", sandbox=sandbox)
    assert unseen.verdict == Verdict.AC and unseen.stdout == "0\n", unseen
    assert kept()[0] not in (None, other_box)
    report, _ = probe(sandbox)
    assert_clean(report)


HELLO = {"c": '#include <stdio.h>\nint main(){puts("hi");}\n', "python": 'print("hi")\n',
         "java": 'public class Main{public static void main(String[] a){System.out.println("hi");}}\n',
         "javascript": 'console.log("hi")\n', "cpp": '#include <cstdio>\nint main(){puts("hi");}\n'}


def test_every_language_runs_in_the_one_started_box(sandbox, kept):
    """A slot serving C, Java, Python, JavaScript and C++ in turn (compiles included) keeps one
    started box: every language's boxes have one bind set (another would start another box)."""
    every_prepared_file_found()  # each joins the bind set as it is found
    names = [name for name in HELLO if get_language(name).available()]
    first = execute(HELLO["c"], "c", sandbox=sandbox)
    assert first.verdict == Verdict.AC, first
    box, runs = kept()
    for name in names * 2:
        hello = execute(HELLO[name], name, sandbox=sandbox)
        assert hello.verdict == Verdict.AC and hello.stdout == "hi\n", (name, hello)
    assert kept()[0] == box and kept()[1] >= runs + len(names) * 2
    report, _ = probe(sandbox)
    assert_clean(report)


USES_THE_NETWORK = """
import socket
server = socket.socket(); server.bind(('127.0.0.1', 5000)); server.listen()
client = socket.create_connection(('127.0.0.1', 5000)); accepted, _ = server.accept()
client.close(); accepted.close(); server.close()  # the side that closed first waits in TIME_WAIT
print(open('/proc/net/sockstat').read().split('tw ')[1].split()[0])
"""
NETWORK_LEFT = """
lo = [line.split() for line in open('/proc/net/dev') if line.strip().startswith('lo:')][0]
print(open('/proc/net/sockstat').read().split('tw ')[1].split()[0], lo[1], lo[9])
"""


def test_a_run_that_used_the_network_gets_the_box_replaced(sandbox, kept):
    """A network namespace's counters and TIME_WAIT entries cannot be reset: the next run would
    read them (or find a port taken). Such a box is replaced, and the next run sees none of it."""
    execute("print()", "python", sandbox=sandbox)
    used = execute(USES_THE_NETWORK, "python", sandbox=sandbox)
    assert used.verdict == Verdict.AC and int(used.stdout) >= 1, used  # it did leave a TIME_WAIT
    box_after_use = kept()[0]
    fresh = execute(NETWORK_LEFT, "python", sandbox=sandbox)
    assert fresh.verdict == Verdict.AC and fresh.stdout.split() == ["0", "0", "0"], fresh  # no TIME_WAIT, no bytes
    assert kept()[0] != box_after_use
    again = execute(NETWORK_LEFT, "python", sandbox=sandbox)
    assert again.stdout.split() == ["0", "0", "0"] and kept()[0] == sandbox.kept.server.process.pid


DEEP_TREE = """
import os
os.chdir('/tmp')
for _ in range(2000):  # deeper than a recursive walk of the host's can go
    os.mkdir('d'); os.chdir('d')
print('deep')
"""


def test_a_tree_too_deep_to_wipe_ends_the_box_and_the_next_run_is_clean(sandbox, kept):
    deep = execute(DEEP_TREE, "python", "", Limits(wall_time=20), sandbox=sandbox)
    assert deep.verdict == Verdict.AC and deep.stdout == "deep\n", deep
    report, _ = probe(sandbox)
    assert_clean(report)
