package dev.spice.bench;

import dev.spice.engine.RuntimeChannel;
import dev.spice.sys.Fds;
import dev.spice.sys.Processes;
import dev.spice.sys.Spawner;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One running QEMU of the VM baseline, with our ends of its two sockets: the runtime channel
 * (the guest's virtio-serial port, frames of docs/runtime-protocol.md) and its monitor (QMP).
 * Closing it kills QEMU and reaps it.
 */
final class GuestVm implements AutoCloseable {
    private final int pid;
    private final RuntimeChannel channel;
    private final Qmp qmp;

    private GuestVm(int pid, RuntimeChannel channel, Qmp qmp) {
        this.pid = pid;
        this.channel = channel;
        this.qmp = qmp;
    }

    /**
     * Spawns {@code argv} (a {@link QemuCommand}) in {@code dir} with the two sockets and
     * {@code extraFds} (child fd to ours, which stay ours), and waits for its monitor.
     */
    static GuestVm start(List<String> argv, Map<Integer, Integer> extraFds, Path dir, long deadline) {
        int[] channel = Fds.socketPair();
        int[] monitor = Fds.socketPair();
        Map<Integer, Integer> fds = new HashMap<>(extraFds);
        fds.put(QemuCommand.CHANNEL_FD, channel[1]);
        fds.put(QemuCommand.MONITOR_FD, monitor[1]);
        int pid;
        try {
            pid = Spawner.spawn(argv, Map.of("PATH", "/usr/bin:/bin"), fds, true, dir);
        } finally {
            Fds.close(channel[1]);
            Fds.close(monitor[1]);
        }
        RuntimeChannel ours = new RuntimeChannel(channel[0], channel[0]);
        try {
            return new GuestVm(pid, ours, new Qmp(monitor[0], deadline));
        } catch (RuntimeException e) {
            ours.close();
            Fds.close(monitor[0]);
            end(pid);
            throw new IllegalStateException("QEMU did not start (its errors are above): " + e.getMessage(), e);
        }
    }

    int pid() {
        return pid;
    }

    RuntimeChannel channel() {
        return channel;
    }

    Qmp qmp() {
        return qmp;
    }

    private static void end(int pid) {
        Processes.kill(pid, Processes.SIGKILL);
        Processes.waitFor(pid);
    }

    @Override
    public void close() {
        qmp.close();
        channel.close();
        end(pid);
    }
}
