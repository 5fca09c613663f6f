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
 * one line, "exit N KB" or "signal N KB", to STATUS_FD (KB: the largest resident set of the
 * program and what it waited for, in KiB). bwrap alone reports a death by signal N as
 * exit code 128+N, which cannot be told apart from a program that exits with 128+N.
 * STATUS_FD is closed in the child: the program inherits only 0, 1 and 2.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#ifdef HAVE_SECCOMP
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* Deny-list on top of namespaces, no capabilities and no-new-privs: kernel surfaces a judged
 * program never needs, and the covert channels seen between concurrent boxes (file locks). */
static scmp_filter_ctx build_seccomp(void) {
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
    if (!ctx) return NULL;
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
    return ctx;
fail:
    seccomp_release(ctx);
    return NULL;
}

/* The filter as the kernel takes it: libseccomp generates it once per init (a third of a
 * millisecond), and a kept box's init loads it on itself, for every run to inherit. */
static struct sock_fprog *export_seccomp(void) {
    scmp_filter_ctx ctx = build_seccomp();
    if (!ctx) return NULL;
    struct sock_fprog *prog = NULL;
    int fd = memfd_create("codearena-seccomp", MFD_CLOEXEC);
    if (fd < 0 || seccomp_export_bpf(ctx, fd) < 0) goto done;
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % (off_t)sizeof(struct sock_filter) || lseek(fd, 0, SEEK_SET) != 0) goto done;
    prog = malloc(sizeof *prog);
    struct sock_filter *filter = malloc((size_t)size);
    if (!prog || !filter || read(fd, filter, (size_t)size) != (ssize_t)size) {
        free(prog);
        free(filter);
        prog = NULL;
        goto done;
    }
    prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
    prog->filter = filter;
done:
    if (fd >= 0) close(fd);
    seccomp_release(ctx);
    return prog;
}

static int load_seccomp(const struct sock_fprog *prog) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog);
}

/* The one-shot child's filter: generated and loaded as a kept box's runs load theirs. */
static int install_seccomp(void) {
    struct sock_fprog *prog = export_seccomp();
    return prog && load_seccomp(prog) == 0 ? 0 : -1;
}
#endif

static void report(int fd, const char *kind, int value) {
    char line[64];
    int n = snprintf(line, sizeof line, "%s %d\n", kind, value);
    if (n > 0) (void)!write(fd, line, (size_t)n);
}

static long long microseconds(long long seconds, long long micros) {
    return seconds * 1000000LL + micros;
}

/* A program's end, with its largest resident set (KiB). From a one-shot init (`forked`: when
 * the program was forked), its own start after it, for the run's figures to leave out: this
 * process's CPU until now (bwrap's building of the box, before it exec'd init, then init's own)
 * and the program's wall time since its fork, both in microseconds. */
static void report_end(int fd, const char *kind, int value, long max_rss_kb, const struct timespec *forked) {
    char line[160];
    int n;
    if (forked) {
        struct rusage self;
        struct timespec now;
        getrusage(RUSAGE_SELF, &self);
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long self_us = microseconds(self.ru_utime.tv_sec, self.ru_utime.tv_usec)
                            + microseconds(self.ru_stime.tv_sec, self.ru_stime.tv_usec);
        long long wall_us = microseconds(now.tv_sec, now.tv_nsec / 1000)
                            - microseconds(forked->tv_sec, forked->tv_nsec / 1000);
        n = snprintf(line, sizeof line, "%s %d %ld %lld %lld\n", kind, value, max_rss_kb, self_us, wall_us);
    } else {
        n = snprintf(line, sizeof line, "%s %d %ld\n", kind, value, max_rss_kb);
    }
    if (n > 0) (void)!write(fd, line, (size_t)n);
}

/* In a run's child: exec the program. When that fails, the parent is told why through
 * exec_error (closed by a successful exec): the system's failure (no such compiler), never the
 * program's own exit 127. */
static void exec_program(char **argv, int exec_error) {
    execvp(argv[0], argv);
    int failure = errno;
    (void)!write(exec_error, &failure, sizeof failure);
    fprintf(stderr, "codearena-init: cannot execute %s: %s\n", argv[0], strerror(failure));
    _exit(127);
}

/* In init, once `child` is forked: whether it could exec, then its end (reaping every orphan
 * re-parented here meanwhile, so none piles up as a zombie), as one line on status_fd.
 * Returns the exit code a one-shot init ends with. */
static int wait_and_report(pid_t child, int exec_error, int status_fd, const struct timespec *forked) {
    int exec_errno = 0;
    ssize_t told;
    do {
        told = read(exec_error, &exec_errno, sizeof exec_errno);
    } while (told < 0 && errno == EINTR);
    int status;
    struct rusage usage;
    for (;;) {
        pid_t done = wait4(-1, &status, 0, &usage);
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
        report_end(status_fd, "signal", WTERMSIG(status), usage.ru_maxrss, forked);
        return 128 + WTERMSIG(status);
    }
    report_end(status_fd, "exit", WEXITSTATUS(status), usage.ru_maxrss, forked);
    return WEXITSTATUS(status);
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

/* ---- --serve: a ready box ------------------------------------------------------------------
 *
 *   codearena-init --serve CONTROL_FD SECCOMP(0|1)
 *
 * pid 1 of a box that outlives its runs. With SECCOMP 1 it loads the filter on itself first
 * (its runs inherit it). It says "ready" on CONTROL_FD (a SOCK_SEQPACKET socket to the
 * service), then serves two requests, one at a time:
 *
 *   "arm"
 *       with two descriptors: STATUS, LAUNCH. A child is forked (before its run is known, so
 *       that the service can put it in the run's cgroup ahead of time); it sends its
 *       credentials on LAUNCH (the kernel gives the service its pid as the host sees it) and
 *       waits there for its run, one message:
 *         "run" CWD NRLIMITS (RESOURCE SOFT HARD)... ARGC ARGV... ENVC ENV...   (NUL-separated)
 *       with three descriptors: stdin, stdout, stderr. It takes the rlimits, the descriptors, a
 *       new session and the environment, and execs ARGV (under init's seccomp filter). LAUNCH closed
 *       instead: it exits 125 (disarmed). When it ends, one line goes to STATUS, as in the
 *       one-shot mode; init serves nothing else until then.
 *   "reset"
 *       kills every other process of the box, reaps them, removes every System V IPC object,
 *       and answers "clean", or "dirty REASON" when anything survived (the service then
 *       destroys the box).
 *
 * The service kills the run's cgroup before it asks for a reset; the kill here is the second
 * lock. This process is not dumpable, so the programs it starts (the same uid) cannot trace it
 * or open its /proc files, and as a namespace's init it ignores every signal they send it.
 */
#define REQUEST_MAX (1 << 20)
#define ARM_FDS 2  /* STATUS, LAUNCH */
#define RUN_FDS 3  /* stdin, stdout, stderr */

static void answer(int control, const char *text) {
    (void)!send(control, text, strlen(text), MSG_NOSIGNAL);
}

/* The next NUL-terminated field of a request, or NULL when it ran out. */
static char *field(char **cursor, char *end) {
    if (*cursor >= end) return NULL;
    char *start = *cursor;
    char *nul = memchr(start, '\0', (size_t)(end - start));
    if (!nul) return NULL;
    *cursor = nul + 1;
    return start;
}

static int field_number(char **cursor, char *end, unsigned long long *value) {
    char *text = field(cursor, end), *stop;
    if (!text || !*text) return -1;
    errno = 0;
    *value = strtoull(text, &stop, 10);
    return errno || *stop ? -1 : 0;
}

struct run_request {
    char *cwd;
    unsigned long long nrlimits;
    int resources[16];
    struct rlimit limits[16];
    char **argv;
    char **envp;
};

static char **field_list(char **cursor, char *end) {
    unsigned long long count;
    if (field_number(cursor, end, &count) != 0 || count > 65536) return NULL;
    char **list = calloc(count + 1, sizeof *list);
    if (!list) return NULL;
    for (unsigned long long i = 0; i < count; i++)
        if (!(list[i] = field(cursor, end))) { free(list); return NULL; }
    return list;
}

static int parse_run(char *cursor, char *end, struct run_request *run) {
    memset(run, 0, sizeof *run);
    if (!(run->cwd = field(&cursor, end))) return -1;
    if (field_number(&cursor, end, &run->nrlimits) != 0 || run->nrlimits > 16) return -1;
    for (unsigned long long r = 0; r < run->nrlimits; r++) {
        unsigned long long which, soft, hard;
        if (field_number(&cursor, end, &which) || field_number(&cursor, end, &soft) ||
            field_number(&cursor, end, &hard)) return -1;
        run->resources[r] = (int)which;
        run->limits[r] = (struct rlimit){(rlim_t)soft, (rlim_t)hard};
    }
    if (!(run->argv = field_list(&cursor, end)) || !run->argv[0]) return -1;
    if (!(run->envp = field_list(&cursor, end))) return -1;
    return cursor == end ? 0 : -1;
}

/* One request with up to `max_fds` descriptors (into fds, the rest -1, any more closed): its
 * size; 0 when the other end closed, -1 when the socket failed, -2 when it did not fit. */
static ssize_t receive(int socket_fd, char *request, int *fds, int max_fds, int *nfds) {
    char buffer[CMSG_SPACE(sizeof(int) * 8)];
    struct iovec iov = {request, REQUEST_MAX};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = buffer,
                             .msg_controllen = sizeof buffer};
    for (int i = 0; i < max_fds; i++) fds[i] = -1;
    *nfds = 0;
    ssize_t size;
    do size = recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC); while (size < 0 && errno == EINTR);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            int *passed = (int *)CMSG_DATA(c);
            for (int i = 0; i < count; i++) {
                if (*nfds < max_fds) fds[*nfds] = passed[i];
                else close(passed[i]);
                (*nfds)++;
            }
        }
    if (size > 0 && (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) return -2;
    return size < 0 ? -1 : size;
}

/* In the armed child: tell the service who it is, wait for its run, become the program. */
static void become_program(int launch, int exec_error, char *request) {
    struct ucred self = {getpid(), getuid(), getgid()};
    char byte = 'r', buffer[CMSG_SPACE(sizeof self)];
    struct iovec iov = {&byte, 1};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = buffer,
                             .msg_controllen = sizeof buffer};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_CREDENTIALS;
    cmsg->cmsg_len = CMSG_LEN(sizeof self);
    memcpy(CMSG_DATA(cmsg), &self, sizeof self);
    if (sendmsg(launch, &message, MSG_NOSIGNAL) != 1) _exit(125);
    /* Nothing of the program runs before its run arrives, by then in the run's cgroup. */
    int fds[RUN_FDS], nfds;
    ssize_t size = receive(launch, request, fds, RUN_FDS, &nfds);
    if (size <= 0 || nfds != RUN_FDS) _exit(125);
    struct run_request parsed, *run = &parsed;
    char *cursor = request, *end = request + size, *kind = field(&cursor, end);
    if (!kind || strcmp(kind, "run") != 0 || parse_run(cursor, end, run) != 0) {
        fprintf(stderr, "codearena-init: malformed run request\n");
        _exit(125);
    }
    for (unsigned long long r = 0; r < run->nrlimits; r++)
        if (setrlimit(run->resources[r], &run->limits[r]) != 0) {
            fprintf(stderr, "codearena-init: setrlimit %d: %s\n", run->resources[r], strerror(errno));
            _exit(125);
        }
    for (int target = 0; target < 3; target++)
        if (dup2(fds[target], target) < 0) _exit(125);
    /* The exec-failure pipe at 3 (close-on-exec), then nothing else: no descriptor of this
     * process or of an earlier run reaches the program. */
    if (exec_error != 3 && dup3(exec_error, 3, O_CLOEXEC) < 0) _exit(125);
    if (syscall(SYS_close_range, 4U, ~0U, 0) != 0) _exit(125);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    umask(022);
    setsid();
    if (chdir(run->cwd) != 0) _exit(125);
    environ = run->envp;
    exec_program(run->argv, 3);  /* under init's seccomp filter, inherited (see serve) */
}

static void serve_arm(int control, int fds[ARM_FDS], char *request) {
    int status_fd = fds[0], launch = fds[1];
    int exec_pipe[2] = {-1, -1};
    if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
        report(status_fd, "error", errno);
        goto done;
    }
    pid_t child = fork();
    if (child < 0) {
        report(status_fd, "error", errno);
        goto done;
    }
    if (child == 0) {
        close(control);
        close(exec_pipe[0]);
        close(status_fd);
        become_program(launch, exec_pipe[1], request);
    }
    close(launch);
    launch = -1;
    close(exec_pipe[1]);
    wait_and_report(child, exec_pipe[0], status_fd, NULL);  /* its cgroup holds the run alone */
done:
    if (exec_pipe[0] >= 0) close(exec_pipe[0]);
    if (launch >= 0) close(launch);
    close(status_fd);
}

/* Remove every System V IPC object of this namespace; -1 when one is still there. */
static int remove_ipc(void) {
    struct shm_info shm;
    int top = shmctl(0, SHM_INFO, (struct shmid_ds *)&shm);
    for (int i = 0; i <= top; i++) {
        struct shmid_ds ds;
        int id = shmctl(i, SHM_STAT_ANY, &ds);
        if (id >= 0) shmctl(id, IPC_RMID, NULL);
    }
    struct seminfo sem;
    top = semctl(0, 0, SEM_INFO, &sem);
    for (int i = 0; i <= top; i++) {
        struct semid_ds ds;
        int id = semctl(i, 0, SEM_STAT_ANY, &ds);
        if (id >= 0) semctl(id, 0, IPC_RMID);
    }
    struct msginfo msg;
    top = msgctl(0, MSG_INFO, (struct msqid_ds *)&msg);
    for (int i = 0; i <= top; i++) {
        struct msqid_ds ds;
        int id = msgctl(i, MSG_STAT_ANY, &ds);
        if (id >= 0) msgctl(id, IPC_RMID, NULL);
    }
    if (shmctl(0, SHM_INFO, (struct shmid_ds *)&shm) < 0 || shm.used_ids != 0) return -1;
    if (semctl(0, 0, SEM_INFO, &sem) < 0 || sem.semusz != 0) return -1;
    if (msgctl(0, MSG_INFO, (struct msqid_ds *)&msg) < 0 || msg.msgpool != 0) return -1;
    return 0;
}

/* The /proc files every reset reads are opened once and read again from offset 0, where the
 * kernel renders them afresh (an open of /proc/net/... costs more than the read). Their
 * descriptors are close-on-exec, and a run's child closes every descriptor past 3 anyway. */
#define ABSENT (-2)  /* cannot be opened here (no IPv6): not tried again */

static int kept_descriptor(const char *path, int *fd) {
    if (*fd == -1) {
        *fd = open(path, O_RDONLY | O_CLOEXEC);
        if (*fd < 0) *fd = ABSENT;
    }
    return *fd;
}

/* The whole file behind fd, from its start, into buffer; -1 on an error or when it does not fit. */
static ssize_t read_from_start(int fd, char *buffer, size_t size) {
    size_t used = 0;
    ssize_t got;
    while (used < size && (got = pread(fd, buffer + used, size - used, (off_t)used)) > 0) used += (size_t)got;
    if (got < 0 || used >= size) return -1;
    return (ssize_t)used;
}

/* The box's processes other than this one, as /proc (this namespace's) lists them. */
static int other_processes(void) {
    static DIR *proc;
    if (proc) rewinddir(proc);  /* lists /proc as it is now */
    else if (!(proc = opendir("/proc"))) return -1;
    int found = 0;
    struct dirent *entry;
    while ((entry = readdir(proc)))
        if (entry->d_name[0] >= '1' && entry->d_name[0] <= '9' && strcmp(entry->d_name, "1") != 0) found++;
    return found;
}

/* The box's network namespace as its counters show it. A run that used the network changes
 * them, and a namespace's counters cannot be put back: that box is replaced, or the next run
 * could read what this one left. Only this namespace's own figures: /proc/net/sockstat's
 * "alloc" and "mem" are the whole machine's, and move with the service's own sockets. */
static const char *const NET_STATE[] = {
    "/proc/net/dev",       /* every packet (lo is the namespace's only device) */
    "/proc/net/snmp", "/proc/net/snmp6",  /* besides packets, sends that found no route */
};  /* /proc/net/netstat's counters all move with a packet, which /proc/net/dev counts */
#define NET_STATE_MAX (64 * 1024)

static ssize_t network_state(char *buffer) {
    static int fds[] = {-1, -1, -1};
    size_t used = 0;
    for (size_t i = 0; i < sizeof NET_STATE / sizeof NET_STATE[0]; i++) {
        int fd = kept_descriptor(NET_STATE[i], &fds[i]);
        if (fd == ABSENT) continue;  /* no IPv6 here */
        ssize_t got = read_from_start(fd, buffer + used, NET_STATE_MAX - used);
        if (got < 0) return -1;
        used += (size_t)got;
    }
    return (ssize_t)used;
}

/* Sockets that outlive their processes (TCP's TIME_WAIT and FIN_WAIT): once every process of
 * the box is gone, each "inuse" and "tw" of /proc/net/sockstat and sockstat6 (this namespace's
 * counts; /proc/net/tcp would walk the machine's whole connection table) must be 0. */
static int sockets_left(void) {
    static const char *const tables[] = {"/proc/net/sockstat", "/proc/net/sockstat6"};
    static int fds[] = {-1, -1};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        int fd = kept_descriptor(tables[i], &fds[i]);
        if (fd == ABSENT) continue;
        char buffer[4096];
        ssize_t got = read_from_start(fd, buffer, sizeof buffer);
        if (got < 0) return 1;
        buffer[got] = '\0';
        char *save = NULL, *previous = "";
        for (char *token = strtok_r(buffer, " \n", &save); token; token = strtok_r(NULL, " \n", &save)) {
            if ((strcmp(previous, "inuse") == 0 || strcmp(previous, "tw") == 0) && strcmp(token, "0") != 0) return 1;
            previous = token;
        }
    }
    return 0;
}

static char network_before[NET_STATE_MAX], network_now[NET_STATE_MAX];
static ssize_t network_before_size = -1;

static void serve_reset(int control) {
    kill(-1, SIGKILL);  /* every process of this namespace but this one */
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {}
    if (errno != ECHILD) { answer(control, "dirty cannot reap the box's processes"); return; }
    if (other_processes() != 0) { answer(control, "dirty a process survived the reset"); return; }
    if (remove_ipc() != 0) { answer(control, "dirty an IPC object survived the reset"); return; }
    ssize_t size = network_state(network_now);
    if (size < 0 || size != network_before_size || memcmp(network_now, network_before, (size_t)size) != 0 ||
        sockets_left()) {
        answer(control, "dirty the run used the network namespace");
        return;
    }
    answer(control, "clean");
}

static int serve(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: codearena-init --serve CONTROL_FD SECCOMP\n");
        return 120;
    }
    int control = atoi(argv[2]);
    fcntl(control, F_SETFD, FD_CLOEXEC);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    if (atoi(argv[3])) {
        int loaded = 0;
#ifdef HAVE_SECCOMP
        /* Loaded here, once: every run's child inherits it through fork and exec (with
         * no-new-privs), where each loading its own made the kernel check and compile the
         * filter again per run (a tenth of a millisecond). Nothing init does (fork, wait,
         * kill, System V IPC removal, /proc) is among what it denies. */
        struct sock_fprog *filter = export_seccomp();
        loaded = filter && load_seccomp(filter) == 0;
#endif
        if (!loaded) {
            fprintf(stderr, "codearena-init: cannot install the seccomp filter\n");
            return 122;
        }
    }
    char *request = malloc(REQUEST_MAX);
    if (!request) return 121;
    network_before_size = network_state(network_before);
    answer(control, "ready");
    for (;;) {
        int fds[ARM_FDS], nfds;
        ssize_t size = receive(control, request, fds, ARM_FDS, &nfds);
        if (size == 0 || size == -1) return 0;  /* the service closed its end: the box ends */
        char *cursor = request, *end = request + (size > 0 ? size : 0);
        char *kind = size > 0 ? field(&cursor, end) : NULL;
        if (kind && strcmp(kind, "arm") == 0 && nfds == ARM_FDS && cursor == end) {
            serve_arm(control, fds, request);
        } else if (kind && strcmp(kind, "reset") == 0 && nfds == 0 && cursor == end) {
            serve_reset(control);
        } else {
            for (int i = 0; i < ARM_FDS; i++) if (fds[i] >= 0) close(fds[i]);
            answer(control, "dirty malformed request");
        }
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--launch") == 0) return launch(argc, argv);
    if (argc > 1 && strcmp(argv[1], "--serve") == 0) return serve(argc, argv);
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
    struct timespec forked;
    clock_gettime(CLOCK_MONOTONIC, &forked);
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
        exec_program(&argv[3], exec_pipe[1]);
    }
    close(exec_pipe[1]);
    /* As pid 1 of the namespace (bwrap --as-pid-1) orphans are re-parented here. */
    int code = wait_and_report(child, exec_pipe[0], status_fd, &forked);
    close(exec_pipe[0]);
    return code;
}
