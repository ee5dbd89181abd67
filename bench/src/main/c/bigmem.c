/*
 * Benchmark workload: a process with N MiB of private memory filled with non-zero data.
 * Prints "ready" once filled, then answers each line on stdin with "sum <hex>", the sum of
 * every 64-bit word, so an answer proves all the memory came back intact.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MIB\n", argv[0]);
        return 2;
    }
    size_t words = (size_t)atoi(argv[1]) * 1024 * 1024 / 8;
    uint64_t *mem = malloc(words * 8);
    if (!mem)
        return 2;
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < words; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        mem[i] = x;
    }
    printf("ready\n");
    fflush(stdout);
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        uint64_t sum = 0;
        for (size_t i = 0; i < words; i++)
            sum += mem[i];
        printf("sum %lx\n", (unsigned long)sum);
        fflush(stdout);
    }
    return 0;
}
