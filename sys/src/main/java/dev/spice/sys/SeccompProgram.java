package dev.spice.sys;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A seccomp filter: a classic BPF program ({@code struct sock_filter[]}, 8 bytes an instruction)
 * over {@code struct seccomp_data}, and an interpreter of the instructions the kernel accepts in
 * one (seccomp_check_filter). It answers "what would this filter do to this call", so capture can
 * tell whether the calls it injects pass, and restore whether the restorer's own last calls do,
 * before either touches a process.
 */
public final class SeccompProgram {
    /** AUDIT_ARCH_X86_64, the arch field of every call an x86-64 process makes (x32 calls too). */
    public static final int ARCH_X86_64 = 0xc000003e;
    public static final int RET_KILL_PROCESS = 0x80000000, RET_KILL_THREAD = 0, RET_TRAP = 0x00030000,
            RET_ERRNO = 0x00050000, RET_USER_NOTIF = 0x7fc00000, RET_TRACE = 0x7ff00000, RET_LOG = 0x7ffc0000,
            RET_ALLOW = 0x7fff0000;
    private static final int ACTION_MASK = 0xffff0000;
    private static final int DATA_SIZE = 64;           // sizeof(struct seccomp_data)
    private static final int MEM_WORDS = 16;           // BPF_MEMWORDS

    private final int[] code, jt, jf, k;

    /** Thrown for a program the kernel would not have accepted. */
    public static final class InvalidProgramException extends RuntimeException {
        InvalidProgramException(String message) {
            super(message);
        }
    }

    public SeccompProgram(byte[] program) {
        if (program.length == 0 || program.length % 8 != 0) {
            throw new InvalidProgramException("a seccomp program of " + program.length + " bytes");
        }
        int n = program.length / 8;
        code = new int[n];
        jt = new int[n];
        jf = new int[n];
        k = new int[n];
        ByteBuffer b = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            code[i] = b.getShort() & 0xffff;
            jt[i] = b.get() & 0xff;
            jf[i] = b.get() & 0xff;
            k[i] = b.getInt();
        }
    }

    /** The filter's return value (action and data) for system call {@code nr} with {@code args}, from x86-64. */
    public int evaluate(int nr, long ip, long... args) {
        ByteBuffer data = ByteBuffer.allocate(DATA_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(nr).putInt(ARCH_X86_64).putLong(ip);
        for (int i = 0; i < 6; i++) {
            data.putLong(i < args.length ? args[i] : 0);
        }
        int a = 0, x = 0;
        int[] mem = new int[MEM_WORDS];
        for (int pc = 0; pc < code.length; pc++) {
            int c = code[pc], kk = k[pc];
            int src = (c & 0x08) != 0 ? x : kk;
            switch (c & 0x07) {
                case 0x00, 0x01 -> {                                    // BPF_LD, BPF_LDX
                    int v = switch (c & 0xf8) {
                        case 0x20 -> word(data, kk);                    // BPF_W | BPF_ABS
                        case 0x00 -> kk;                                // BPF_W | BPF_IMM
                        case 0x60 -> mem[memIndex(kk)];                 // BPF_W | BPF_MEM
                        case 0x80 -> DATA_SIZE;                         // BPF_W | BPF_LEN
                        default -> throw invalid(pc);
                    };
                    if ((c & 0x07) == 0x00) {
                        a = v;
                    } else if ((c & 0xf8) == 0x20) {
                        throw invalid(pc);                              // no absolute loads into X
                    } else {
                        x = v;
                    }
                }
                case 0x02 -> mem[memIndex(kk)] = a;                     // BPF_ST
                case 0x03 -> mem[memIndex(kk)] = x;                     // BPF_STX
                case 0x04 -> {                                          // BPF_ALU
                    if (src == 0 && ((c & 0xf0) == 0x30 || (c & 0xf0) == 0x90)) {
                        return 0;                                       // cBPF: a division by zero returns 0
                    }
                    a = alu(c & 0xf0, a, src, pc);
                }
                case 0x05 -> {                                          // BPF_JMP
                    int op = c & 0xf0;
                    if (op == 0x00) {                                   // BPF_JA
                        pc += kk;
                    } else {
                        boolean taken = switch (op) {
                            case 0x10 -> a == src;                              // JEQ
                            case 0x20 -> Integer.compareUnsigned(a, src) > 0;  // JGT
                            case 0x30 -> Integer.compareUnsigned(a, src) >= 0; // JGE
                            case 0x40 -> (a & src) != 0;                        // JSET
                            default -> throw invalid(pc);
                        };
                        pc += taken ? jt[pc] : jf[pc];
                    }
                    if (pc < 0 || pc >= code.length - 1) {             // must land on an instruction
                        throw new InvalidProgramException("a seccomp program jumps past its end");
                    }
                }
                case 0x06 -> {                                          // BPF_RET
                    return switch (c & 0x18) {
                        case 0x00 -> kk;                                // BPF_K
                        case 0x10 -> a;                                 // BPF_A
                        default -> throw invalid(pc);
                    };
                }
                default -> {                                            // BPF_MISC
                    switch (c & 0xf8) {
                        case 0x00 -> x = a;                             // TAX
                        case 0x80 -> a = x;                             // TXA
                        default -> throw invalid(pc);
                    }
                }
            }
        }
        throw new InvalidProgramException("a seccomp program ends without a return");
    }

    /** Whether the call goes through: ALLOW, or LOG (allowed and logged). */
    public static boolean allows(int ret) {
        int action = ret & ACTION_MASK;
        return action == RET_ALLOW || action == RET_LOG;
    }

    /** The action in words, as an error message names it: "ERRNO 77", "KILL_PROCESS". */
    public static String describe(int ret) {
        int action = ret & ACTION_MASK;
        return switch (action) {
            case RET_KILL_PROCESS -> "KILL_PROCESS";
            case RET_KILL_THREAD -> "KILL_THREAD";
            case RET_TRAP -> "TRAP";
            case RET_ERRNO -> "ERRNO " + (ret & 0xfff);
            case RET_USER_NOTIF -> "USER_NOTIF";
            case RET_TRACE -> "TRACE";
            case RET_LOG -> "LOG";
            case RET_ALLOW -> "ALLOW";
            default -> "KILL_PROCESS (unknown action 0x" + Integer.toHexString(ret) + ")";
        };
    }

    /** Whether any instruction can return SECCOMP_RET_USER_NOTIF (a listener fd: not restorable). */
    public boolean mayNotifyUser() {
        for (int i = 0; i < code.length; i++) {
            if (code[i] == 0x06 && (k[i] & ACTION_MASK) == RET_USER_NOTIF) {
                return true;
            }
        }
        return false;
    }

    private static int word(ByteBuffer data, int offset) {
        if (offset < 0 || offset > DATA_SIZE - 4 || offset % 4 != 0) {
            throw new InvalidProgramException("a seccomp program loads outside seccomp_data (offset " + offset + ")");
        }
        return data.getInt(offset);
    }

    private static int memIndex(int k) {
        if (k < 0 || k >= MEM_WORDS) {
            throw new InvalidProgramException("a seccomp program uses scratch word " + k);
        }
        return k;
    }

    private static int alu(int op, int a, int v, int pc) {
        return switch (op) {
            case 0x00 -> a + v;
            case 0x10 -> a - v;
            case 0x20 -> a * v;
            case 0x30 -> Integer.divideUnsigned(a, v);
            case 0x40 -> a | v;
            case 0x50 -> a & v;
            case 0x60 -> v >= 32 ? 0 : a << v;
            case 0x70 -> v >= 32 ? 0 : a >>> v;
            case 0x80 -> -a;
            case 0x90 -> Integer.remainderUnsigned(a, v);
            case 0xa0 -> a ^ v;
            default -> throw invalid(pc);
        };
    }

    private static InvalidProgramException invalid(int pc) {
        return new InvalidProgramException("a seccomp program has an instruction the kernel does not accept at " + pc);
    }
}
