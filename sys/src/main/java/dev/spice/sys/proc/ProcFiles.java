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
        try {
            return Files.readString(path(pid, relative));
        } catch (NoSuchFileException e) {
            throw new ProcessGoneException(pid);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path(pid, relative), e);
        }
    }

    public static byte[] readBytes(int pid, String relative) {
        try {
            return Files.readAllBytes(path(pid, relative));
        } catch (NoSuchFileException e) {
            throw new ProcessGoneException(pid);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path(pid, relative), e);
        }
    }

    public static String readLink(int pid, String relative) {
        try {
            return Files.readSymbolicLink(path(pid, relative)).toString();
        } catch (NoSuchFileException e) {
            throw new ProcessGoneException(pid);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read link " + path(pid, relative), e);
        }
    }

    /** The process no longer exists (or never did). */
    public static final class ProcessGoneException extends RuntimeException {
        public ProcessGoneException(int pid) {
            super("no process with PID " + pid);
        }
    }
}
