package dev.spice.sys.proc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads files and links under /proc/PID. */
public final class ProcFiles {
    private ProcFiles() {}

    public static Path path(int pid, String relative) {
        return Path.of("/proc", Integer.toString(pid), relative);
    }

    public static String read(int pid, String relative) {
        return io(pid, relative, "read", Files::readString);
    }

    public static byte[] readBytes(int pid, String relative) {
        return io(pid, relative, "read", Files::readAllBytes);
    }

    public static String readLink(int pid, String relative) {
        return io(pid, relative, "read link", p -> Files.readSymbolicLink(p).toString());
    }

    private interface ProcRead<T> {
        T apply(Path path) throws IOException;
    }

    /** A missing /proc/PID entry means the process is gone; other failures are I/O errors. */
    private static <T> T io(int pid, String relative, String what, ProcRead<T> read) {
        Path path = path(pid, relative);
        try {
            return read.apply(path);
        } catch (NoSuchFileException e) {
            throw new ProcessGoneException(pid);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot " + what + " " + path, e);
        }
    }

    /** The process no longer exists (or never did). */
    public static final class ProcessGoneException extends RuntimeException {
        public ProcessGoneException(int pid) {
            super("no process with PID " + pid);
        }
    }
}
