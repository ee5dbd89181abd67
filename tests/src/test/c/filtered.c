/*
 * A process under seccomp, chosen by argv[1]:
 *   stacked     two filters: getppid fails with errno 77 (installed with SECCOMP_FILTER_FLAG_LOG),
 *               then getpgrp fails with errno 78
 *   tail        a filter that makes mremap fail with EPERM (the restorer's final stub needs it)
 *   sigaction   a filter that makes rt_sigaction fail with EPERM (capture injects it)
 *   strict      strict mode (SECCOMP_SET_MODE_STRICT): only read, write, _exit and sigreturn
 * It prints "ready <pid>", then answers each line of stdin with
 * "getppid <errno> getpgrp <errno>" (0 where the call succeeded).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* One filter: calls numbered nr fail with err, everything else is allowed. */
static void deny(long nr, int err, unsigned flags)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof code / sizeof code[0], code};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) != 0) {
        perror("seccomp");
        _exit(2);
    }
}

static int error_of(long nr)
{
    return syscall(nr) < 0 ? errno : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s stacked|tail|sigaction|strict\n", argv[0]);
        return 2;
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (strcmp(argv[1], "stacked") == 0) {
        deny(SYS_getppid, 77, SECCOMP_FILTER_FLAG_LOG);
        deny(SYS_getpgrp, 78, 0);
    } else if (strcmp(argv[1], "tail") == 0) {
        deny(SYS_mremap, EPERM, 0);
    } else if (strcmp(argv[1], "sigaction") == 0) {
        deny(SYS_rt_sigaction, EPERM, 0);
    }
    printf("ready %d\n", getpid());
    fflush(stdout);
    if (strcmp(argv[1], "strict") == 0) {
        syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL);
        char c;
        for (;;)                                /* read is all strict mode allows */
            if (read(0, &c, 1) <= 0)
                syscall(SYS_exit, 0);
    }
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        printf("getppid %d getpgrp %d\n", error_of(SYS_getppid), error_of(SYS_getpgrp));
        fflush(stdout);
    }
    return 0;
}
