/*
 * Benchmark workload: a process of N threads (the main one included), the others parked in
 * pthread_cond_wait. Prints "ready" once all are parked, then answers each line on stdin by waking
 * every thread, which each add one to a shared counter, and printing "round R counter C" once all
 * have: an answer proves every thread came back and runs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static long round_no, counter;
static int parked, others;

static void *worker(void *arg)
{
    (void)arg;
    long seen = 0;
    pthread_mutex_lock(&lock);
    for (;;) {                                  /* ends with the process */
        parked++;
        pthread_cond_signal(&done);
        while (round_no == seen)
            pthread_cond_wait(&wake, &lock);
        seen = round_no;
        counter++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 || atoi(argv[1]) < 1) {
        fprintf(stderr, "usage: %s THREADS\n", argv[0]);
        return 2;
    }
    others = atoi(argv[1]) - 1;
    for (int i = 0; i < others; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, NULL))
            return 2;
    }
    pthread_mutex_lock(&lock);
    while (parked < others)
        pthread_cond_wait(&done, &lock);
    pthread_mutex_unlock(&lock);
    printf("ready\n");
    fflush(stdout);
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        pthread_mutex_lock(&lock);
        parked = 0;
        round_no++;
        pthread_cond_broadcast(&wake);
        while (parked < others)
            pthread_cond_wait(&done, &lock);
        printf("round %ld counter %ld\n", round_no, counter);
        fflush(stdout);
        pthread_mutex_unlock(&lock);
    }
    return 0;
}
