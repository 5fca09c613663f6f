/*
 * codearena-init has two jobs, one on each side of bwrap.
 *
 * Outside, started by the service (root) instead of bwrap:
 *
 *   codearena-init --launch UID GID NCGROUPS CGROUP_PROCS... NRLIMITS (RESOURCE SOFT HARD)... PROGRAM [ARGS...]
 *
 * it joins the run's cgroups, sets the rlimits, drops to the box's uid and execs PROGRAM
 * (bwrap). Doing this here rather than in a Python pre-exec hook lets the service spawn with
 * vfork, which is several milliseconds faster per run and safe in a threaded server.
 * UID -1 means "do not change uid" (a service that is not root).
 *
 * Inside, as the first program bwrap starts:
 *
 *   codearena-init STATUS_FD SECCOMP(0|1) PROGRAM [ARGS...]
 *
 * It forks PROGRAM, applies the seccomp filter in the child just before exec (so the filter
 * binds the untrusted program and everything it starts, not bwrap), waits for it, and writes
 * one line, "exit N" or "signal N", to STATUS_FD. bwrap alone reports a death by signal N as
 * exit code 128+N, which cannot be told apart from a program that exits with 128+N.
 * STATUS_FD is closed in the child: the program inherits only 0, 1 and 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* Deny-list on top of namespaces, no capabilities and no-new-privs: kernel surfaces a judged
 * program never needs, and the covert channels seen between concurrent boxes (file locks). */
static int install_seccomp(void) {
    static const int denied[] = {
        SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
        SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
        SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd),
        SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register),
        SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(mount), SCMP_SYS(umount2),
        SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(swapon), SCMP_SYS(swapoff),
        SCMP_SYS(reboot), SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load),
        SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module),
        SCMP_SYS(acct), SCMP_SYS(quotactl), SCMP_SYS(syslog), SCMP_SYS(vhangup),
        SCMP_SYS(fanotify_init), SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at),
        SCMP_SYS(flock), SCMP_SYS(fsopen), SCMP_SYS(fsmount), SCMP_SYS(move_mount),
        SCMP_SYS(open_tree), SCMP_SYS(personality),
        /* Watching files is a window on what other boxes and compilers open in the shared /usr. */
        SCMP_SYS(inotify_init), SCMP_SYS(inotify_init1), SCMP_SYS(inotify_add_watch), SCMP_SYS(fanotify_mark),
    };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return -1;
    /* Only the native ABI: i386 (int 0x80) and x32 system calls kill the process. */
    if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0) goto fail;
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++)
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0) < 0) goto fail;
    /* POSIX record locks are a covert channel too (even read locks on read-only files). */
    static const int lock_cmds[] = {F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW};
    for (size_t i = 0; i < sizeof lock_cmds / sizeof lock_cmds[0]; i++)
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(fcntl), 1,
                             SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)lock_cmds[i])) < 0) goto fail;
    /* No new namespaces of any kind (bwrap's --disable-userns already stops nested user
     * namespaces; this is the second lock). clone3's flags live in memory seccomp cannot
     * read, so clone3 answers ENOSYS and the C library falls back to clone. */
    static const unsigned long ns_flags[] = {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID,
                                             CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP};
    for (size_t i = 0; i < sizeof ns_flags / sizeof ns_flags[0]; i++)
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i])) < 0) goto fail;
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0) goto fail;
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                         SCMP_A0(SCMP_CMP_EQ, AF_VSOCK)) < 0) goto fail;
    if (seccomp_load(ctx) < 0) goto fail;
    seccomp_release(ctx);
    return 0;
fail:
    seccomp_release(ctx);
    return -1;
}
#endif

static void report(int fd, const char *kind, int value) {
    char line[64];
    int n = snprintf(line, sizeof line, "%s %d\n", kind, value);
    if (n > 0) (void)!write(fd, line, (size_t)n);
}

static unsigned long long number(const char *text) {
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || *end) {
        fprintf(stderr, "codearena-init: bad number %s\n", text);
        exit(124);
    }
    return value;
}

static int launch(int argc, char **argv) {
    int i = 2;
    if (argc < 7) goto usage;
    const char *uid_text = argv[i++];
    const char *gid_text = argv[i++];
    unsigned long long cgroups = number(argv[i++]);
    for (unsigned long long c = 0; c < cgroups; c++, i++) {
        if (i >= argc) goto usage;
        int fd = open(argv[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1) {  /* "0": the writing process itself */
            fprintf(stderr, "codearena-init: cannot join cgroup %s: %s\n", argv[i], strerror(errno));
            return 125;
        }
        close(fd);
    }
    if (i >= argc) goto usage;
    unsigned long long rlimits = number(argv[i++]);
    for (unsigned long long r = 0; r < rlimits; r++, i += 3) {
        if (i + 2 >= argc) goto usage;
        struct rlimit limit = {(rlim_t)number(argv[i + 1]), (rlim_t)number(argv[i + 2])};
        if (setrlimit((int)number(argv[i]), &limit) != 0) {
            fprintf(stderr, "codearena-init: setrlimit %s: %s\n", argv[i], strerror(errno));
            return 125;
        }
    }
    if (strcmp(uid_text, "-1") != 0) {
        uid_t uid = (uid_t)number(uid_text);
        gid_t gid = (gid_t)number(gid_text);
        if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0 ||
            getuid() != uid || geteuid() != uid) {
            fprintf(stderr, "codearena-init: cannot drop to uid %s: %s\n", uid_text, strerror(errno));
            return 125;
        }
    }
    if (i >= argc) goto usage;
    execv(argv[i], &argv[i]);
    fprintf(stderr, "codearena-init: cannot execute %s: %s\n", argv[i], strerror(errno));
    return 126;
usage:
    fprintf(stderr, "codearena-init: malformed --launch arguments\n");
    return 124;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--launch") == 0) return launch(argc, argv);
    if (argc < 4) {
        fprintf(stderr, "usage: codearena-init STATUS_FD SECCOMP PROGRAM [ARGS...]\n");
        return 120;
    }
    int status_fd = atoi(argv[1]);
    int use_seccomp = atoi(argv[2]);
    fcntl(status_fd, F_SETFD, FD_CLOEXEC);

    /* The child tells, through a pipe closed by a successful exec, why the program could not be
     * started: that is the system's failure (no such compiler), never the program's exit 127. */
    int exec_pipe[2];
    if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
        report(status_fd, "error", errno);
        return 121;
    }
    pid_t child = fork();
    if (child < 0) {
        report(status_fd, "error", errno);
        return 121;
    }
    if (child == 0) {
        close(status_fd);
        close(exec_pipe[0]);
        if (use_seccomp) {
#ifdef HAVE_SECCOMP
            if (install_seccomp() != 0) {
                fprintf(stderr, "codearena-init: cannot install seccomp filter\n");
                _exit(122);
            }
#else
            fprintf(stderr, "codearena-init: built without seccomp\n");
            _exit(122);
#endif
        }
        execvp(argv[3], &argv[3]);
        int failure = errno;
        (void)!write(exec_pipe[1], &failure, sizeof failure);
        fprintf(stderr, "codearena-init: cannot execute %s: %s\n", argv[3], strerror(failure));
        _exit(127);
    }
    close(exec_pipe[1]);
    int exec_errno = 0;
    ssize_t told;
    do {
        told = read(exec_pipe[0], &exec_errno, sizeof exec_errno);
    } while (told < 0 && errno == EINTR);
    close(exec_pipe[0]);
    /* As pid 1 of the namespace (bwrap --as-pid-1) orphans are re-parented here: reap them all
     * so they cannot pile up as zombies, until the program itself ends. */
    int status;
    for (;;) {
        pid_t done = waitpid(-1, &status, 0);
        if (done == child) break;
        if (done < 0 && errno != EINTR) {
            report(status_fd, "error", errno);
            return 123;
        }
    }
    if (told == (ssize_t)sizeof exec_errno) {
        report(status_fd, "noexec", exec_errno);
        return 127;
    }
    if (WIFSIGNALED(status)) {
        report(status_fd, "signal", WTERMSIG(status));
        return 128 + WTERMSIG(status);
    }
    report(status_fd, "exit", WEXITSTATUS(status));
    return WEXITSTATUS(status);
}
