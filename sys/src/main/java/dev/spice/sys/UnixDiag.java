package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the kernel tells of a Unix socket through sock_diag netlink (UNIX_DIAG, CONFIG_UNIX_DIAG):
 * its type, state, bound name, peer and shutdown state, looked up by inode. Sockets are looked up
 * in the network namespace the netlink socket belongs to, so for a process in another one the
 * query socket is made there (setns on the calling thread and back).
 */
public final class UnixDiag {
    private static final int AF_NETLINK = 16, AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_CLOEXEC = 02000000,
            NETLINK_SOCK_DIAG = 4, SOCK_DIAG_BY_FAMILY = 20, NLM_F_REQUEST = 1, NLMSG_ERROR = 2,
            UDIAG_SHOW_NAME = 1, UDIAG_SHOW_PEER = 4, UNIX_DIAG_NAME = 0, UNIX_DIAG_PEER = 2,
            UNIX_DIAG_SHUTDOWN = 6, CLONE_NEWNET = 0x40000000, O_RDONLY_CLOEXEC = 02000000;

    /** A Unix socket: its type (SOCK_*), state, whether it has a name, its peer's inode (0: none), shutdown bits. */
    public record Socket(long inode, int type, int state, boolean named, long peer, int shutdown) {}

    private UnixDiag() {}

    /** The Unix socket with this inode as process {@code pid} sees it, or null if it is not a Unix socket. */
    public static Socket query(int pid, long inode) {
        int nl = socketIn(pid);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment req = arena.allocate(40, 8);
            req.set(JAVA_INT, 0, 40);                             // nlmsghdr.nlmsg_len
            req.set(JAVA_SHORT, 4, (short) SOCK_DIAG_BY_FAMILY);
            req.set(JAVA_SHORT, 6, (short) NLM_F_REQUEST);
            req.set(JAVA_BYTE, 16, (byte) AF_UNIX);               // unix_diag_req.sdiag_family
            req.set(JAVA_INT, 20, -1);                            // udiag_states: all
            req.set(JAVA_INT, 24, (int) inode);                   // udiag_ino
            req.set(JAVA_INT, 28, UDIAG_SHOW_NAME | UDIAG_SHOW_PEER);
            req.set(JAVA_INT, 32, -1);                            // udiag_cookie: INET_DIAG_NOCOOKIE
            req.set(JAVA_INT, 36, -1);
            MemorySegment addr = arena.allocate(12, 4);           // sockaddr_nl to the kernel
            addr.set(JAVA_SHORT, 0, (short) AF_NETLINK);
            Syscall.call("sendto(sock_diag)", Nr.SENDTO, nl, req.address(), 40, 0, addr.address(), 12);
            MemorySegment buf = arena.allocate(8192, 8);
            long n = Syscall.call("recv(sock_diag)", Nr.RECVFROM, nl, buf.address(), buf.byteSize(), 0, 0, 0);
            if (n < 16 || buf.get(JAVA_SHORT, 4) == NLMSG_ERROR) {
                return null;                                      // ENOENT: not a Unix socket of that namespace
            }
            int len = Math.min((int) n, buf.get(JAVA_INT, 0));
            int type = buf.get(JAVA_BYTE, 17), state = buf.get(JAVA_BYTE, 18);
            long ino = Integer.toUnsignedLong(buf.get(JAVA_INT, 20));
            boolean named = false;
            long peer = 0;
            int shutdown = 0;
            for (int at = 16 + 16; at + 4 <= len;) {              // nlattrs after unix_diag_msg
                int attrLen = Short.toUnsignedInt(buf.get(JAVA_SHORT, at)), attrType = buf.get(JAVA_SHORT, at + 2);
                if (attrLen < 4 || at + attrLen > len) {
                    break;
                }
                switch (attrType) {
                    case UNIX_DIAG_NAME -> named = attrLen > 4;
                    case UNIX_DIAG_PEER -> peer = Integer.toUnsignedLong(buf.get(JAVA_INT, at + 4));
                    case UNIX_DIAG_SHUTDOWN -> shutdown = buf.get(JAVA_BYTE, at + 4);
                    default -> { }
                }
                at += (attrLen + 3) & ~3;
            }
            return new Socket(ino, type, state, named, peer, shutdown);
        } finally {
            Fds.close(nl);
        }
    }

    /** A sock_diag socket in the network namespace of {@code pid}. */
    private static int socketIn(int pid) {
        Path theirs = Path.of("/proc/" + pid + "/ns/net"), ours = Path.of("/proc/thread-self/ns/net");
        try {
            if (Files.readSymbolicLink(theirs).equals(Files.readSymbolicLink(ours))) {
                return netlinkSocket();
            }
        } catch (java.io.IOException e) {
            throw new ErrnoException("readlink " + theirs, Errno.ENOENT);
        }
        int home = open(ours), there = open(theirs);
        try {
            Syscall.call("setns(net)", Nr.SETNS, there, CLONE_NEWNET);
            try {
                return netlinkSocket();
            } finally {
                Syscall.call("setns(net) back", Nr.SETNS, home, CLONE_NEWNET);
            }
        } finally {
            Fds.close(home);
            Fds.close(there);
        }
    }

    private static int netlinkSocket() {
        return (int) Syscall.call("socket(NETLINK_SOCK_DIAG)", Nr.SOCKET, AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
                NETLINK_SOCK_DIAG);
    }

    private static int open(Path p) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call("open " + p, Nr.OPENAT, -100, arena.allocateFrom(p.toString()).address(),
                    O_RDONLY_CLOEXEC);
        }
    }
}
