package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Small reads and writes of another process's memory with process_vm_readv/writev. */
public final class ProcessMemory {
    private ProcessMemory() {}

    public static byte[] read(int pid, long address, int length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(length);
            long n = transfer(arena, Nr.PROCESS_VM_READV, "process_vm_readv", pid, buf, address);
            return buf.asSlice(0, n).toArray(JAVA_BYTE);
        }
    }

    public static void write(int pid, long address, byte[] data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocateFrom(JAVA_BYTE, data);
            if (transfer(arena, Nr.PROCESS_VM_WRITEV, "process_vm_writev", pid, buf, address) != data.length) {
                throw new ErrnoException("process_vm_writev (short write)", Errno.EFAULT);
            }
        }
    }

    private static long transfer(Arena arena, long nr, String name, int pid, MemorySegment local, long remote) {
        MemorySegment localIov = arena.allocate(16, 8);
        MemorySegment remoteIov = arena.allocate(16, 8);
        localIov.set(JAVA_LONG, 0, local.address());
        localIov.set(JAVA_LONG, 8, local.byteSize());
        remoteIov.set(JAVA_LONG, 0, remote);
        remoteIov.set(JAVA_LONG, 8, local.byteSize());
        return Syscall.call(name, nr, pid, localIov.address(), 1, remoteIov.address(), 1, 0);
    }
}
