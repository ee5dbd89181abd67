package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.sys.LineQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * The multi-threaded test program (tests/src/test/c/threads.c): its threads, as it describes them
 * before the snapshot, and the checks of what they report after "go".
 */
final class ThreadedProgram {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long SLEEP_MS = 1500;

    /** One thread as printed before the snapshot: "thread IDX KIND TID TLS MASK". */
    record Thread(int idx, String kind, int tid, long tls, String mask) {}

    /** The program's threads and the busy threads' counters when it was ready. */
    record Ready(List<Thread> threads, Map<Integer, Long> busy) {}

    private ThreadedProgram() {}

    /**
     * The program with these arguments (threads.c): none for the fixed eight threads, a seed for
     * 1..64 threads in drawn states (exactly {@code threads} if positive), or "churn".
     */
    static TestProcess start(List<String> args, int threads) {
        return start(args, threads, TestPrograms.environment());
    }

    static TestProcess start(List<String> args, int threads, Map<String, String> env) {
        List<String> argv = new ArrayList<>(List.of(TestPrograms.c("threads")));
        argv.addAll(args);
        if (threads > 0) {
            argv.add(Integer.toString(threads));
        }
        return TestProcess.start(argv, env);
    }

    static Ready awaitReady(LineQueue out) {
        List<Thread> threads = new ArrayList<>();
        Map<Integer, Long> busy = new HashMap<>();
        while (true) {
            String[] f = out.next(TIMEOUT).split(" ");
            switch (f[0]) {
                case "thread" -> threads.add(new Thread(Integer.parseInt(f[1]), f[2], Integer.parseInt(f[3]),
                        Long.parseLong(f[4]), f[5]));
                case "busy" -> busy.put(Integer.parseInt(f[1]), Long.parseLong(f[2]));
                case "ready" -> {
                    assertThat(threads).hasSize(Integer.parseInt(f[1]));
                    return new Ready(threads, busy);
                }
                default -> throw new AssertionError("unexpected line " + String.join(" ", f));
            }
        }
    }

    /**
     * After "go": every busy counter went on from at least where it was before the snapshot, and
     * every thread reports the TID, thread-local value and signal mask it had, a full sleep for the
     * sleeper and the timer's waiter; the program exits 0.
     */
    static void expectContinued(Ready before, LineQueue out, IntSupplier exitCode) {
        Map<Integer, String[]> done = new HashMap<>();
        Map<Integer, Long> atGo = new HashMap<>();
        while (true) {
            String line = out.next(TIMEOUT);
            String[] f = line.split(" ");
            if (line.startsWith("at-go busy ")) {
                atGo.put(Integer.parseInt(f[2]), Long.parseLong(f[3]));
            } else if (line.startsWith("done ")) {
                done.put(Integer.parseInt(f[1]), f);
            } else if (line.startsWith("all done ")) {
                break;
            } else {
                throw new AssertionError("unexpected line " + line);
            }
        }
        assertThat(atGo.keySet()).isEqualTo(before.busy().keySet());
        before.busy().forEach((idx, count) -> assertThat(atGo.get(idx))
                .as("busy thread %d counts on from its captured value", idx).isGreaterThanOrEqualTo(count));
        assertThat(done).hasSize(before.threads().size());
        for (Thread t : before.threads()) {
            String[] f = done.get(t.idx());
            assertThat(f).as("thread %d reports", t.idx()).isNotNull();
            String what = "thread " + t.idx() + " (" + t.kind() + ")";
            assertThat(f[2]).as(what).isEqualTo(t.kind());
            assertThat(Integer.parseInt(f[3])).as(what + ": TID").isEqualTo(t.tid());
            assertThat(Long.parseLong(f[4])).as(what + ": thread-local value").isEqualTo(t.tls());
            assertThat(f[5]).as(what + ": signal mask").isEqualTo(t.mask());
            assertThat(f[7]).as(what + ": its own check").isEqualTo("ok");
            if (t.kind().equals("sleep") || t.kind().equals("timerfd")) {
                assertThat(Long.parseLong(f[6])).as(what + ": slept ms").isGreaterThanOrEqualTo(SLEEP_MS);
            }
        }
        assertThat(exitCode.getAsInt()).as("exit code").isZero();
    }
}
