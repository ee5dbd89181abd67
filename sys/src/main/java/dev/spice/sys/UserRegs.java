package dev.spice.sys;

import java.util.Arrays;

/** The general registers of a stopped thread, in the order of {@code struct user_regs_struct}. */
public final class UserRegs {
    public static final int COUNT = 27;
    public static final int R15 = 0, R14 = 1, R13 = 2, R12 = 3, RBP = 4, RBX = 5, R11 = 6, R10 = 7,
            R9 = 8, R8 = 9, RAX = 10, RCX = 11, RDX = 12, RSI = 13, RDI = 14, ORIG_RAX = 15,
            RIP = 16, CS = 17, EFLAGS = 18, RSP = 19, SS = 20, FS_BASE = 21, GS_BASE = 22, DS = 23,
            ES = 24, FS = 25, GS = 26;

    private final long[] values;

    public UserRegs(long[] values) {
        if (values.length != COUNT) {
            throw new IllegalArgumentException("user_regs_struct has " + COUNT + " registers");
        }
        this.values = values.clone();
    }

    public long get(int index) {
        return values[index];
    }

    /** A copy with one register changed. */
    public UserRegs with(int index, long value) {
        long[] copy = values.clone();
        copy[index] = value;
        return new UserRegs(copy);
    }

    public long[] toArray() {
        return values.clone();
    }

    public long rip() {
        return values[RIP];
    }

    public long rsp() {
        return values[RSP];
    }

    public long rax() {
        return values[RAX];
    }

    public long origRax() {
        return values[ORIG_RAX];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UserRegs r && Arrays.equals(values, r.values);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values);
    }
}
