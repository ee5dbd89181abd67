package dev.spice.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A function of the benchmark suite: a deployable directory under functions/ with the event to
 * invoke it with, {@code event.json}. Its handler checks its own answer and returns
 * {@code "verified": true}, so a run also proves that the restored process computed correctly.
 */
record BenchFunction(String name, Path dir, byte[] event) {
    static final String EVENT = "event.json";

    static BenchFunction load(Path dir) {
        try {
            return new BenchFunction(dir.getFileName().toString(), dir, Files.readAllBytes(dir.resolve(EVENT)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the benchmark event of " + dir, e);
        }
    }

    /** Every function directory under {@code root} that has a benchmark event, by name. */
    static List<BenchFunction> all(Path root) {
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(d -> Files.exists(d.resolve(EVENT))).sorted().map(BenchFunction::load).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
    }
}
