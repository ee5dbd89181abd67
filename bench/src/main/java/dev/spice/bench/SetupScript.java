package dev.spice.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A setup script of a baseline (CRIU, the VM guest) that builds or finds it and prints where, last. */
final class SetupScript {
    private SetupScript() {}

    /** Runs {@code home/relative} (its errors go to ours) and returns the last line it printed, stripped. */
    static Path run(Path home, String relative) {
        Path script = home.resolve(relative);
        try {
            Process p = new ProcessBuilder(script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String last = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null;) {
                    last = line;
                }
            }
            if (p.waitFor() != 0 || last == null) {
                throw new IllegalStateException(relative + " failed (exit " + p.exitValue() + ")");
            }
            return Path.of(last.strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
