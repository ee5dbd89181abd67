/*
 * A process whose memory an image can store leanly: 64 anonymous pages with the same content
 * (stored once), a page of a private file mapping written with the bytes the file already has
 * (not stored: it comes from the file), and one written with different bytes (stored).
 * Usage: lean DATAFILE. Prints "ready PID", then on each line of stdin checks everything and
 * prints "ok" or "bad <what>".
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096
#define SAME 64

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    int fd = open(argv[1], O_RDONLY);
    unsigned char *file = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    unsigned char original[PAGE];
    if (fd < 0 || file == MAP_FAILED || pread(fd, original, PAGE, 2 * PAGE) != PAGE)
        return 2;
    close(fd);
    memcpy(file + 2 * PAGE, original, PAGE);        /* copied on write, but equal to the file */
    memset(file + 3 * PAGE, 0x5a, PAGE);             /* really modified */
    unsigned char *same = mmap(NULL, (SAME + 1) * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int p = 0; p < SAME; p++)
        for (int i = 0; i < PAGE; i++)
            same[p * PAGE + i] = (unsigned char)(i * 7 + 3);
    memset(same + SAME * PAGE, 0x77, PAGE);
    printf("ready %d\n", getpid());
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        const char *bad = NULL;
        if (memcmp(file + 2 * PAGE, original, PAGE) != 0)
            bad = "file page 2";
        for (int i = 0; i < PAGE && !bad; i++)
            if (file[3 * PAGE + i] != 0x5a)
                bad = "file page 3";
        for (int p = 0; p < SAME && !bad; p++)
            for (int i = 0; i < PAGE; i++)
                if (same[p * PAGE + i] != (unsigned char)(i * 7 + 3)) {
                    bad = "same pages";
                    break;
                }
        for (int i = 0; i < PAGE && !bad; i++)
            if (same[SAME * PAGE + i] != 0x77)
                bad = "distinct page";
        same[5 * PAGE] ^= 1;                           /* private copies stay private */
        same[5 * PAGE] ^= 1;
        printf(bad ? "bad %s\n" : "ok\n", bad);
        fflush(stdout);
    }
    return 0;
}
