// Starting a child that dies with us: Linux's PR_SET_PDEATHSIG, which must be set in the
// child between fork and exec (posix_spawn has no attribute for it, and prctl is variadic, so
// Swift cannot call it). Everything after fork is an async-signal-safe system call: the
// caller is multithreaded.
#ifndef SMT_PROCESS_SHIM_H
#define SMT_PROCESS_SHIM_H
#include <signal.h>
#include <stddef.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

/// Forks and execs `path` with `argv`/`envp`, stdin from /dev/null (`null_fd`), stdout and
/// stderr to the given descriptors, in a session of its own, every other descriptor closed.
/// On Linux the child gets SIGTERM when the *thread* that called this ends (the kernel ties
/// the death signal to the forking thread), so the caller forks from a thread that lives as
/// long as the child (the one that waits for it). Returns the pid, or -1 (errno set).
static inline pid_t smt_spawn_tied(const char *path, char *const argv[], char *const envp[], int null_fd, int out_fd, int err_fd,
                                   pid_t parent) {
    pid_t pid = fork();
    if (pid != 0) return pid;
#if defined(__linux__)
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) _exit(126);
    // The parent may have died before prctl: then nobody would ever send the signal.
    if (getppid() != parent) _exit(126);
#endif
    setsid();
    struct sigaction dfl;
    dfl.sa_handler = SIG_DFL;
    dfl.sa_flags = 0;
    sigemptyset(&dfl.sa_mask);
    for (int s = 1; s < 32; s++) {
        if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(126);
#if defined(__linux__) && defined(SYS_close_range)
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
    {
        for (int fd = 3; fd < 4096; fd++) close(fd);
    }
    execve(path, argv, envp);
    _exit(127);
}
#endif
