package dev.spice.sys.proc;

import java.util.Set;

/** One line of /proc/PID/smaps: a virtual memory area, with its VmFlags. */
public record Mapping(long start, long end, boolean read, boolean write, boolean exec, boolean shared,
        long offset, int devMajor, int devMinor, long inode, String name, Set<String> vmFlags) {

    public long size() {
        return end - start;
    }

    /** Backed by a file that had a path (it may have been deleted since). */
    public boolean isFile() {
        return name.startsWith("/") && inode != 0;
    }

    public boolean isDeleted() {
        return name.endsWith(" (deleted)");
    }

    /** A kernel-named area such as [heap], [stack], [vdso], [vvar], [anon:name]. */
    public boolean isSpecial() {
        return name.startsWith("[");
    }

    public int prot() {
        return (read ? 1 : 0) | (write ? 2 : 0) | (exec ? 4 : 0);
    }

    public boolean contains(long address) {
        return address >= start && address < end;
    }

    @Override
    public String toString() {
        return String.format("%x-%x %s%s%s%s %s", start, end, read ? "r" : "-", write ? "w" : "-",
                exec ? "x" : "-", shared ? "s" : "p", name);
    }
}
