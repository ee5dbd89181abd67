package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class ProcessMemoryTest {
    private static final int PID = (int) ProcessHandle.current().pid();

    @Test
    void readsWhatWasWritten() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocateFrom(JAVA_BYTE, new byte[] {1, 2, 3, (byte) 0xfe, 42, 7});

            assertThat(ProcessMemory.read(PID, segment.address() + 1, 4)).containsExactly(2, 3, 0xfe, 42);
        }
    }

    @Test
    void writeIsSeenInTheSegment() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(16);

            ProcessMemory.write(PID, segment.address() + 8, new byte[] {9, 8, 7});

            assertThat(segment.toArray(JAVA_BYTE)).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 9, 8, 7, 0, 0, 0, 0, 0);
        }
    }

    @Test
    void unmappedAddressGivesEFAULT() {
        assertThatThrownBy(() -> ProcessMemory.read(PID, 0x1000, 8)).isInstanceOf(ErrnoException.class)
                .satisfies(e -> assertThat(((ErrnoException) e).errno()).isEqualTo(Errno.EFAULT));
    }
}
