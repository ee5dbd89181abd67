package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spice.engine.Engine;
import dev.spice.engine.EngineConfig;
import dev.spice.engine.RuntimeChannel;
import dev.spice.restore.LaunchOptions;
import dev.spice.restore.Launcher;
import dev.spice.restore.Prefetch;
import dev.spice.restore.Zygote;
import dev.spice.sys.Fds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Descriptors are closed exactly once, by their owner, and never while in use: a descriptor
 * number closed twice closes whatever the kernel handed that number to in between (once seen: an
 * engine closed twice closed the lifeline pipe of the next engine, whose number then went to a
 * zygote's own command socket, which kept the zygote waiting).
 */
class DescriptorLifecycleTest {
    @TempDir
    Path dir;

    @Test
    void aChannelClosedTwiceClosesItsDescriptorOnce() {
        int[] pair = Fds.socketPair();
        RuntimeChannel channel = new RuntimeChannel(pair[0], pair[0]);
        channel.close();
        int[] reused = pipeReusing(pair[0]);
        try {
            channel.close();
            assertOpen(reused);
        } finally {
            closeBoth(reused);
            Fds.close(pair[1]);
        }
    }

    @Test
    void anEngineClosedTwiceClosesNoDescriptorOpenedSince() {
        Engine e = Engine.open(EngineConfig.defaults(dir.resolve("state")));
        e.close();
        List<int[]> since = new ArrayList<>();
        try {
            for (int k = 0; k < 64; k++) {
                since.add(Fds.pipe());              // the lowest free numbers: the engine's lifeline among them
            }
            e.close();
            since.forEach(DescriptorLifecycleTest::assertOpen);
        } finally {
            since.forEach(DescriptorLifecycleTest::closeBoth);
        }
    }

    private static void assertOpen(int[] pipe) {
        assertThat(Path.of("/proc/self/fd/" + pipe[0])).exists();
        assertThat(Path.of("/proc/self/fd/" + pipe[1])).exists();
    }

    private static void closeBoth(int[] pipe) {
        Fds.close(pipe[0]);
        Fds.close(pipe[1]);
    }

    /** A pipe one of whose ends got {@code number} (the kernel hands out the lowest free numbers first). */
    private static int[] pipeReusing(int number) {
        List<int[]> others = new ArrayList<>();
        try {
            for (int k = 0; k < 4096; k++) {
                int[] p = Fds.pipe();
                if (p[0] == number || p[1] == number) {
                    return p;
                }
                others.add(p);
            }
            throw new AssertionError("descriptor " + number + " was not handed out again");
        } finally {
            others.forEach(DescriptorLifecycleTest::closeBoth);
        }
    }

    @Test
    void closingAChannelWakesItsReceiverThenClosesTheDescriptor() throws Exception {
        int[] pair = Fds.socketPair();
        try {
            RuntimeChannel channel = new RuntimeChannel(pair[0], pair[0]);
            CompletableFuture<Throwable> receiver = CompletableFuture.supplyAsync(() -> {
                try {
                    channel.receive(System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
                    return null;
                } catch (RuntimeChannel.ClosedException | RuntimeChannel.TimeoutException e) {
                    return e;
                }
            });
            Thread.sleep(100);                  // the receiver is (most likely) waiting in poll by now
            channel.close();
            assertThat(receiver.get(10, TimeUnit.SECONDS)).isInstanceOf(RuntimeChannel.ClosedException.class);
            assertThat(Path.of("/proc/self/fd/" + pair[0])).doesNotExist();
            assertThatThrownBy(() -> channel.send(RuntimeChannel.message("invoke")))
                    .isInstanceOf(RuntimeChannel.ClosedException.class);
        } finally {
            Fds.close(pair[1]);
        }
    }

    @Test
    void aZygoteRefusingABadImageIsEndedByClose() throws IOException {
        Path image = Files.write(dir.resolve("bad.img"), "not an image".getBytes());
        Stdio stdio = new Stdio();
        try (stdio) {
            Zygote z = Launcher.zygote(LaunchOptions.attached(stdio.childFds()));
            stdio.started("zygote-" + z.initPid());
            Path init = Path.of("/proc/" + z.initPid());
            assertThat(init).exists();
            assertThatThrownBy(() -> z.restore(image, Prefetch.FULL, List.of())).isInstanceOf(RuntimeException.class);
            z.close();
            assertThat(init).as("the zygote's init after close").doesNotExist();
        }
    }
}
