package dev.spice.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** open_by_handle_at(2) (root: CAP_DAC_READ_SEARCH): a file from the handle that name_to_handle_at or fdinfo gave. */
public final class FileHandles {
    private static final int O_PATH_CLOEXEC = 010000000 | 02000000;

    private FileHandles() {}

    /** An O_PATH descriptor of the file with this handle on the file system that {@code mountFd} is on. */
    public static int open(int mountFd, int handleType, byte[] handle) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fh = arena.allocate(8 + handle.length, 4); // struct file_handle {u32 bytes; int type; u8[]}
            fh.set(ValueLayout.JAVA_INT, 0, handle.length);
            fh.set(ValueLayout.JAVA_INT, 4, handleType);
            MemorySegment.copy(handle, 0, fh, ValueLayout.JAVA_BYTE, 8, handle.length);
            return (int) Syscall.call("open_by_handle_at", Nr.OPEN_BY_HANDLE_AT, mountFd, fh.address(), O_PATH_CLOEXEC);
        }
    }
}
