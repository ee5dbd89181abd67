/*
 * A process with one piece of state that capture must refuse, chosen by argv[1]:
 *   signal  a second thread with a signal pending (thread-directed, blocked there)
 *   pipe    a pipe at fd 5           child  a child process
 *   plain   nothing (the control case)
 * It prints "ready <pid>" and then "tick N" every 50 ms on stdout, so a test can see that a
 * refused capture left it running.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
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
        fprintf(stderr, "usage: %s signal|pipe|child|plain\n", argv[0]);
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
