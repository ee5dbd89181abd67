/*
 * A process with one piece of state that capture must refuse, chosen by argv[1]:
 *   signal  a second thread with a signal pending (thread-directed, blocked there)
 *   pipe    a pipe at fd 5           child  a child process
 *   dupfd   an eventfd at fd 5 and its dup at fd 6
 *   rights  a socket pair at fds 5-6 with a descriptor (SCM_RIGHTS) queued at fd 6
 *   plain   nothing (the control case)
 * It prints "ready <pid>" and then "tick N" every 50 ms on stdout, so a test can see that a
 * refused capture left it running.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *idle(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s signal|pipe|child|dupfd|rights|plain\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "signal") == 0) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR2);
        pthread_sigmask(SIG_BLOCK, &s, NULL);   /* the thread inherits the mask */
        pthread_t t;
        pthread_create(&t, NULL, idle, NULL);
        pthread_kill(t, SIGUSR2);               /* pending on that thread alone */
    } else if (strcmp(argv[1], "pipe") == 0) {
        int p[2];
        if (pipe(p) != 0 || dup2(p[0], 5) < 0)
            return 2;
        close(p[0]);
        close(p[1]);
    } else if (strcmp(argv[1], "dupfd") == 0) {
        int e = eventfd(3, 0);
        if (dup2(e, 5) != 5 || dup2(5, 6) != 6)
            return 2;
        close(e);
    } else if (strcmp(argv[1], "rights") == 0) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || dup2(sv[0], 5) != 5 || dup2(sv[1], 6) != 6)
            return 2;
        close(sv[0]);
        close(sv[1]);
        char byte = 'x';
        struct iovec iov = {&byte, 1};
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } control;
        struct msghdr msg = {0};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof control.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        int passed = 0;                      /* stdin travels to the other end */
        memcpy(CMSG_DATA(c), &passed, sizeof passed);
        if (sendmsg(5, &msg, 0) != 1)
            return 2;
    } else if (strcmp(argv[1], "child") == 0) {
        if (fork() == 0) {
            for (;;)
                pause();
        }
    }
    printf("ready %d\n", getpid());
    fflush(stdout);
    for (int i = 0;; i++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        printf("tick %d\n", i);
        fflush(stdout);
    }
}
