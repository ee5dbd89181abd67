package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What statx(2) says about a file: identity (device, inode), content markers (size, mtime), and
 * the change time, which any write or metadata change moves; and the number of names it has
 * (0 once the last one is removed or replaced).
 */
public record FileStat(int mode, int devMajor, int devMinor, long inode, long size, long mtimeSec,
        int mtimeNsec, int rdevMajor, int rdevMinor, long ctimeSec, int ctimeNsec, int links) {
    public static final int S_IFMT = 0170000, S_IFREG = 0100000, S_IFDIR = 0040000,
            S_IFCHR = 0020000, S_IFIFO = 0010000, S_IFSOCK = 0140000, S_IFLNK = 0120000;
    private static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000,
            STATX_BASIC = 0x7ff;

    /** stat of {@code path}, following symbolic links (as /proc/PID/fd/N and map_files need). */
    public static FileStat of(String path) {
        return statx(path, 0);
    }

    /** stat of the link itself. */
    public static FileStat ofLink(String path) {
        return statx(path, AT_SYMLINK_NOFOLLOW);
    }

    /** stat of the file open on {@code fd}: no path lookup. */
    public static FileStat ofFd(int fd) {
        return statx(fd, "", AT_EMPTY_PATH, "statx of fd " + fd);
    }

    private static FileStat statx(String path, int flags) {
        return statx(AT_FDCWD, path, flags, "statx " + path);
    }

    private static FileStat statx(int dir, String path, int flags, String call) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(path);
            MemorySegment buf = arena.allocate(256, 8);
            Syscall.call(call, Nr.STATX, dir, name.address(), flags, STATX_BASIC, buf.address());
            return new FileStat(Short.toUnsignedInt(buf.get(JAVA_SHORT, 28)), buf.get(JAVA_INT, 136),
                    buf.get(JAVA_INT, 140), buf.get(JAVA_LONG, 32), buf.get(JAVA_LONG, 40),
                    buf.get(JAVA_LONG, 112), buf.get(JAVA_INT, 120), buf.get(JAVA_INT, 128),
                    buf.get(JAVA_INT, 132), buf.get(JAVA_LONG, 96), buf.get(JAVA_INT, 104), buf.get(JAVA_INT, 16));
        }
    }

    public int type() {
        return mode & S_IFMT;
    }

    public boolean isRegular() {
        return type() == S_IFREG;
    }

    public boolean isDirectory() {
        return type() == S_IFDIR;
    }

    public boolean isCharDevice() {
        return type() == S_IFCHR;
    }

    /** Same device and inode: the same file, whatever its content. */
    public boolean sameFile(FileStat o) {
        return devMajor == o.devMajor && devMinor == o.devMinor && inode == o.inode;
    }

    /** Same file with the same size and modification time: presumably the same content. */
    public boolean sameContent(FileStat o) {
        return sameFile(o) && size == o.size && mtimeSec == o.mtimeSec && mtimeNsec == o.mtimeNsec;
    }
}
