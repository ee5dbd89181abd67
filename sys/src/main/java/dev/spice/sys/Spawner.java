package dev.spice.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Starts a program with posix_spawn(3), which is safe in a multi-threaded JVM and, unlike
 * ProcessBuilder, leaves the child's wait status to us (the JDK's reaper would otherwise
 * collect it, and with it the ptrace stops of a traced child).
 */
public final class Spawner {
    private static final short SETSIGDEF = 0x04, SETSIGMASK = 0x08, SETSID = 0x80;
    private static final int SIGSET_BYTES = 128, ATTR_BYTES = 512, ACTIONS_BYTES = 512;
    private static final MethodHandle SPAWN = Native.function("posix_spawn", FunctionDescriptor.of(
            JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle ACTIONS_INIT = Native.function(
            "posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ACTIONS_DESTROY = Native.function(
            "posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ADD_DUP2 = Native.function("posix_spawn_file_actions_adddup2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle ADD_CLOSEFROM = Native.function(
            "posix_spawn_file_actions_addclosefrom_np",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle ADD_CHDIR = Native.function("posix_spawn_file_actions_addchdir_np",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle ATTR_INIT = Native.function("posix_spawnattr_init",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ATTR_DESTROY = Native.function("posix_spawnattr_destroy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ATTR_SETFLAGS = Native.function("posix_spawnattr_setflags",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
    private static final MethodHandle ATTR_SETSIGMASK = Native.function("posix_spawnattr_setsigmask",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle ATTR_SETSIGDEFAULT = Native.function(
            "posix_spawnattr_setsigdefault", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

    private Spawner() {}

    /**
     * Spawns {@code argv} with the environment {@code env}. {@code fds} maps child descriptor
     * numbers to our descriptors; every other descriptor but 0, 1 and 2 is closed in the child.
     * All signals start with default dispositions and unblocked.
     */
    public static int spawn(List<String> argv, Map<String, String> env, Map<Integer, Integer> fds,
            boolean newSession) {
        return spawn(argv, env, fds, newSession, null);
    }

    /** As {@link #spawn(List, Map, Map, boolean)}, in the working directory {@code dir} (null: ours). */
    public static int spawn(List<String> argv, Map<String, String> env, Map<Integer, Integer> fds,
            boolean newSession, Path dir) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(ACTIONS_BYTES, 16);
            MemorySegment attr = arena.allocate(ATTR_BYTES, 16);
            check("posix_spawn_file_actions_init", (int) ACTIONS_INIT.invokeExact(actions));
            check("posix_spawnattr_init", (int) ATTR_INIT.invokeExact(attr));
            try {
                int highest = 2;
                for (var e : new TreeMap<>(fds).entrySet()) {
                    highest = Math.max(highest, e.getKey());
                }
                int top = highest;
                boolean staged = false;
                for (int source : fds.values()) {
                    top = Math.max(top, source);
                    staged |= source <= highest;
                }
                // A source among the targets could be overwritten before it is read: then every source
                // goes through a temporary above them all first.
                int temporary = top + 1;
                Map<Integer, Integer> from = new TreeMap<>(fds);
                if (staged) {
                    for (var e : from.entrySet()) {
                        check("posix_spawn_file_actions_adddup2",
                                (int) ADD_DUP2.invokeExact(actions, (int) e.getValue(), temporary));
                        e.setValue(temporary++);
                    }
                }
                for (var e : from.entrySet()) {
                    check("posix_spawn_file_actions_adddup2",
                            (int) ADD_DUP2.invokeExact(actions, (int) e.getValue(), (int) e.getKey()));
                }
                check("posix_spawn_file_actions_addclosefrom_np",
                        (int) ADD_CLOSEFROM.invokeExact(actions, highest + 1));
                if (dir != null) {
                    check("posix_spawn_file_actions_addchdir_np",
                            (int) ADD_CHDIR.invokeExact(actions, arena.allocateFrom(dir.toString())));
                }
                MemorySegment empty = arena.allocate(SIGSET_BYTES);
                MemorySegment all = arena.allocate(SIGSET_BYTES).fill((byte) 0xff);
                check("posix_spawnattr_setsigmask", (int) ATTR_SETSIGMASK.invokeExact(attr, empty));
                check("posix_spawnattr_setsigdefault", (int) ATTR_SETSIGDEFAULT.invokeExact(attr, all));
                short flags = (short) (SETSIGDEF | SETSIGMASK | (newSession ? SETSID : 0));
                check("posix_spawnattr_setflags", (int) ATTR_SETFLAGS.invokeExact(attr, flags));
                MemorySegment pid = arena.allocate(JAVA_INT);
                MemorySegment path = arena.allocateFrom(argv.getFirst());
                int err = (int) SPAWN.invokeExact(pid, path, actions, attr, strings(arena, argv),
                        strings(arena, env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                                .toList()));
                if (err != 0) {
                    throw new ErrnoException("posix_spawn " + argv.getFirst(), err);
                }
                return pid.get(JAVA_INT, 0);
            } finally {
                int ignored = (int) ACTIONS_DESTROY.invokeExact(actions);
                ignored |= (int) ATTR_DESTROY.invokeExact(attr);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static MemorySegment strings(Arena arena, List<String> values) {
        MemorySegment array = arena.allocate(ADDRESS, values.size() + 1L);
        for (int i = 0; i < values.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(values.get(i)));
        }
        array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
        return array;
    }

    private static void check(String call, int result) {
        if (result != 0) {
            throw new ErrnoException(call, result);
        }
    }
}
