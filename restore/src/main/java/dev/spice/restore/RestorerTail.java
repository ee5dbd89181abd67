package dev.spice.restore;

import dev.spice.image.Records.SeccompFilter;
import dev.spice.image.RestorerRange;
import dev.spice.sys.Nr;
import dev.spice.sys.SeccompProgram;
import java.util.List;
import java.util.stream.Stream;

/**
 * The system calls the restorer still makes after it installed the image's seccomp filters
 * (restore/src/main/c/seccomp.c, restore_seccomp): the status report, the final stub and its
 * rt_sigreturn, and exit_group if something fails on the way. A filter that denies one of them
 * would leave a half-restored process, so the image is refused before anything starts. Arguments
 * are the ones the restorer passes where they are known in advance, else 0. With more than one
 * thread (threads.c) the threads also wait and leave through futex, and the reaper thread yields
 * while it waits for them and ends with exit.
 */
final class RestorerTail {
    private static final long READLINKAT = 267, MREMAP = 25, RT_SIGRETURN = 15, EXIT_GROUP = 231, FUTEX = 202,
            SCHED_YIELD = 24, EXIT = 60;
    private static final long PAGE = 4096;

    private record Call(String name, long nr, long... args) {}

    private static final List<Call> CALLS = List.of(
            new Call("readlinkat", READLINKAT),
            new Call("openat", Nr.OPENAT),
            new Call("read", Nr.READ),
            new Call("close", Nr.CLOSE),
            new Call("write", Nr.WRITE),
            new Call("mmap", Nr.MMAP, 0, PAGE, 7, 0x32, -1, 0),      // the final stub: rwx, MAP_PRIVATE|ANONYMOUS|FIXED
            new Call("munmap", Nr.MUNMAP, RestorerRange.BASE, RestorerRange.SIZE),
            new Call("mremap", MREMAP, 0, PAGE, PAGE, 3),              // MREMAP_MAYMOVE | MREMAP_FIXED
            new Call("rt_sigreturn", RT_SIGRETURN),
            new Call("exit_group", EXIT_GROUP, 1));

    private static final List<Call> THREAD_CALLS = List.of(
            new Call("futex", FUTEX, 0, 129),                         // FUTEX_WAKE_PRIVATE
            new Call("futex", FUTEX, 0, 128),                         // FUTEX_WAIT_PRIVATE
            new Call("futex", FUTEX, 0, 134),                         // FUTEX_LOCK_PI_PRIVATE
            new Call("sched_yield", SCHED_YIELD),
            new Call("exit", EXIT, 0));

    private RestorerTail() {}

    static void check(List<SeccompFilter> filters, boolean threads) {
        List<Call> calls = threads ? Stream.concat(CALLS.stream(), THREAD_CALLS.stream()).toList() : CALLS;
        for (int i = 0; i < filters.size(); i++) {
            SeccompProgram program;
            try {
                program = new SeccompProgram(filters.get(i).program());
                for (Call call : calls) {
                    int ret = program.evaluate((int) call.nr(), 0, call.args());
                    if (!SeccompProgram.allows(ret)) {
                        throw new RestoreFailedException("the image's seccomp filter " + (i + 1) + " of "
                                + filters.size() + " answers " + call.name() + " with " + SeccompProgram.describe(ret)
                                + ", which the restorer calls after installing it; it cannot be restored");
                    }
                }
            } catch (SeccompProgram.InvalidProgramException e) {
                throw new RestoreFailedException("the image's seccomp filter " + (i + 1) + " is invalid: "
                        + e.getMessage());
            }
        }
    }
}
