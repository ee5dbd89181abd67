package dev.spice.capture;

import dev.spice.capture.KernelObjectReader.FdView;
import dev.spice.image.ImageFormat;
import dev.spice.image.Records.FdKind;
import dev.spice.image.Records.FdRecord;
import dev.spice.image.Records.KernelObjects;
import dev.spice.sys.FileStat;
import dev.spice.sys.proc.FdInfo;
import dev.spice.sys.proc.ProcFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Records the file descriptor table. Supported: regular files and directories (reopened by path
 * at their offset), /dev/null, /dev/zero, /dev/full, /dev/random and /dev/urandom; as
 * descriptors 0-2 pipes, sockets and terminals, which restore replaces with its own ("stdio");
 * and the kernel objects of {@link KernelObjectReader}: eventfds, epolls, timerfds, signalfds,
 * inotify instances, and pipes and Unix socket pairs with both ends in the process.
 */
final class FdTableReader {
    private static final int O_ACCMODE = 3, O_RDONLY = 0;
    /** Character devices that are the same everywhere: major 1, these minors. */
    private static final List<Integer> PORTABLE_MEM_DEVICES = List.of(3, 5, 7, 8, 9);

    /** The descriptors, in order, and the kernel objects that some of them name. */
    record FdTable(List<FdRecord> fds, KernelObjects objects) {}

    private FdTableReader() {}

    static FdTable read(int pid, FileTable files) {
        Map<Integer, FdView> views = new LinkedHashMap<>();
        for (int fd : fdNumbers(pid)) {
            String proc = ProcFiles.path(pid, "fd/" + fd).toString();
            FdInfo info = FdInfo.read(pid, fd);
            String link = ProcFiles.readLink(pid, "fd/" + fd);
            if (info.hasLocks()) {
                throw new CaptureRefusedException("fd " + fd + " (" + link + ") holds a file lock, which is not supported");
            }
            views.put(fd, new FdView(fd, link, FileStat.of(proc), info.flags(), info.pos()));
        }
        List<FdRecord> fds = new ArrayList<>();
        try (KernelObjectReader objects = new KernelObjectReader(pid, files, views)) {
            for (FdView v : views.values()) {
                int fd = v.fd();
                FileStat st = v.stat();
                FdKind kind = KernelObjectReader.kindOf(v);
                if (fd <= 2 && isStdio(st)) {
                    fds.add(new FdRecord(fd, FdKind.STDIO, v.flags(), ImageFormat.NONE, 0));
                } else if (st.isRegular() || st.isDirectory() || isPortableDevice(st)) {
                    String proc = ProcFiles.path(pid, "fd/" + fd).toString();
                    boolean readOnly = (v.flags() & O_ACCMODE) == O_RDONLY && st.isRegular();
                    int file = files.add("fd " + fd + ": file", v.link(), proc, readOnly);
                    fds.add(new FdRecord(fd, FdKind.FILE, v.flags(), file, st.isRegular() || st.isDirectory()
                            ? v.pos() : 0));
                } else if (kind != null) {
                    fds.add(objects.add(v, kind));
                } else {
                    throw new CaptureRefusedException("fd " + fd + " (" + v.link() + ") is not supported: only regular "
                            + "files, directories, /dev/null, /dev/zero, /dev/urandom, eventfds, epolls, timerfds, "
                            + "signalfds, inotify, pipes and Unix socket pairs with both ends in the process, and "
                            + "pipes, sockets or terminals as fds 0-2 are");
                }
            }
            return new FdTable(fds, objects.objects());
        }
    }

    private static List<Integer> fdNumbers(int pid) {
        try (Stream<Path> entries = Files.list(ProcFiles.path(pid, "fd"))) {
            return entries.map(p -> Integer.parseInt(p.getFileName().toString())).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the fds of " + pid, e);
        }
    }

    /** Pipes (anonymous or named), sockets and terminals. */
    private static boolean isStdio(FileStat st) {
        return st.type() == FileStat.S_IFIFO || st.type() == FileStat.S_IFSOCK || isTerminal(st);
    }

    /** Pseudo-terminals (major 136-143), virtual consoles (4), /dev/tty and /dev/console (5). */
    private static boolean isTerminal(FileStat st) {
        int major = st.rdevMajor();
        return st.isCharDevice() && (major == 4 || major == 5 || (major >= 136 && major <= 143));
    }

    private static boolean isPortableDevice(FileStat st) {
        return st.isCharDevice() && st.rdevMajor() == 1 && PORTABLE_MEM_DEVICES.contains(st.rdevMinor());
    }
}
