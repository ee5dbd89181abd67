package dev.spice.capture;

import dev.spice.image.Records.Sigaction;
import dev.spice.image.VmaKind;
import dev.spice.sys.ErrnoException;
import dev.spice.sys.ProcessMemory;
import java.util.List;

/**
 * Finds "mov $15,%rax; syscall" (or "mov $15,%eax; syscall"), the rt_sigreturn trampoline every C
 * library has, in a mapped file. The restorer's last instruction is a {@code syscall} placed just
 * before it on a temporary copy of its page; that call swaps the genuine page back in and returns
 * straight into the trampoline, so the restorer leaves nothing behind (docs/architecture.md).
 */
final class SigreturnGadget {
    private static final long SA_RESTORER = 0x04000000L;
    private static final byte[][] PATTERNS = {
        {0x48, (byte) 0xc7, (byte) 0xc0, 0x0f, 0, 0, 0, 0x0f, 0x05},
        {(byte) 0xb8, 0x0f, 0, 0, 0, 0x0f, 0x05},
    };
    private static final int PAGE = 4096;

    private SigreturnGadget() {}

    /** The gadget's address, or 0 if there is none the restorer can use. */
    static long find(int pid, List<Sigaction> actions, List<PlannedMapping> plan, MemoryDump memory) {
        for (Sigaction a : actions) {
            if ((a.flags() & SA_RESTORER) != 0 && a.restorer() != 0 && matchesAt(pid, a.restorer())
                    && usable(a.restorer(), plan, memory)) {
                return a.restorer();
            }
        }
        for (PlannedMapping p : plan) {
            if (p.kind() != VmaKind.FILE || !p.mapping().exec() || p.mapping().shared()) {
                continue;
            }
            byte[] text = readQuietly(pid, p.mapping().start(), (int) Math.min(p.mapping().size(), 64 << 20));
            for (int i = 2; i < text.length; i++) {
                long address = p.mapping().start() + i;
                if (startsWithPattern(text, i) && usable(address, plan, memory)) {
                    return address;
                }
            }
        }
        return 0;
    }

    private static boolean matchesAt(int pid, long address) {
        byte[] bytes = readQuietly(pid, address, 9);
        return startsWithPattern(bytes, 0);
    }

    private static boolean startsWithPattern(byte[] bytes, int at) {
        outer:
        for (byte[] p : PATTERNS) {
            if (at + p.length > bytes.length) {
                continue;
            }
            for (int i = 0; i < p.length; i++) {
                if (bytes[at + i] != p[i]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * The two bytes before the gadget must lie on one page, and every page from there to the
     * gadget's end must come unmodified from the same private file mapping.
     */
    private static boolean usable(long address, List<PlannedMapping> plan, MemoryDump memory) {
        long syscallAt = address - 2;
        if (syscallAt / PAGE != (syscallAt + 1) / PAGE) {
            return false;
        }
        PlannedMapping owner = plan.stream().filter(p -> p.mapping().contains(syscallAt)).findFirst().orElse(null);
        if (owner == null || owner.kind() != VmaKind.FILE || owner.mapping().shared()
                || !owner.mapping().contains(address + 8)) {
            return false;
        }
        for (long page = syscallAt & -PAGE; page <= ((address + 8) & -PAGE); page += PAGE) {
            if (memory.stores(page)) {
                return false;
            }
        }
        return true;
    }

    private static byte[] readQuietly(int pid, long address, int length) {
        try {
            return ProcessMemory.read(pid, address, length);
        } catch (ErrnoException e) {
            return new byte[0];
        }
    }
}
