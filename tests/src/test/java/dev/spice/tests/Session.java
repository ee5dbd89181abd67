package dev.spice.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The processes of a session. Every process a spice command starts (launchers, inits, restored and
 * booted instances, zygotes) stays in the session the test started the command in, whichever
 * process reaps it later, so the session tells what a killed command left behind.
 */
final class Session {
    private Session() {}

    /** Waits up to {@code timeout} until no living process is in session {@code sid}, else fails naming them. */
    static void awaitEmpty(int sid, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> left;
        while (!(left = living(sid)).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("processes left in the session of killed process " + sid + ": " + left);
            }
            Thread.sleep(20);
        }
    }

    /** "PID (COMM) STATE" of each process in the session that is not a zombie. */
    static List<String> living(int sid) {
        List<String> result = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs.filter(p -> p.getFileName().toString().matches("\\d+"))::iterator) {
                String stat;
                try {
                    stat = Files.readString(p.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                // pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                if (Integer.parseInt(fields[3]) == sid && !fields[0].equals("Z") && !fields[0].equals("X")) {
                    result.add(stat.substring(0, stat.lastIndexOf(')') + 1) + " " + fields[0]);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return result;
    }
}
