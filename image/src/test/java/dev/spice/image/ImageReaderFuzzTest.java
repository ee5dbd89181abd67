package dev.spice.image;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Fuzzes the image reader with Jazzer (docs/image-format.md, "Fuzzing"). Each input is written to
 * a file and read as an image twice: as it is, and with its three checksums recomputed, so that
 * mutated tables get past the checksums to the decoding and validation behind them. Whatever the
 * bytes, reading fails with a one-line {@link ImageFormatException} or gives an image that holds
 * the format's invariants ({@link ImageInvariants}), and allocates at most a small multiple of the
 * file's size; the page data of an image that was read is then verified, which may fail only the
 * same way. Any other outcome is a finding: Jazzer keeps the input in ImageReaderFuzzTestInputs/,
 * which every later `mvn verify` replays.
 */
class ImageReaderFuzzTest {
    /** The metadata is read once, the strings copied once and each entry becomes one record. */
    private static final long ALLOCATED_PER_FILE_BYTE = 16;
    private static final long ALLOCATED_BASE = 1 << 20;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final Path FILE = fuzzFile();

    @FuzzTest
    void readsAnyFileCleanly(byte[] bytes) {
        readCleanly(bytes);
        byte[] checksummed = withChecksums(bytes);
        if (!Arrays.equals(checksummed, bytes)) {
            readCleanly(checksummed);
        }
    }

    private static void readCleanly(byte[] bytes) {
        Image image;
        try {
            writeFresh(bytes);      // a new file each time: no verification stamp carries over
            image = readWithBoundedAllocation(bytes.length);
            ImageInvariants.check(image, bytes.length);
        } catch (ImageFormatException e) {
            requireOneLine(e);
            return;
        }
        try {
            ImageReader.verifyData(image);
            VerifiedData.ensure(image);
            VerifiedData.ensure(image);     // now from the stamp
        } catch (ImageFormatException e) {
            requireOneLine(e);
        }
    }

    /**
     * Reads the file and fails if that allocated more than the bound for its size. The first run of a
     * code path loads and links classes and call sites on this thread, so a read over the bound is
     * measured once more before it counts.
     */
    private static Image readWithBoundedAllocation(long fileSize) {
        long bound = ALLOCATED_BASE + ALLOCATED_PER_FILE_BYTE * fileSize;
        for (int attempt = 1; ; attempt++) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            Image image = null;
            ImageFormatException failure = null;
            try {
                image = ImageReader.read(FILE);
            } catch (ImageFormatException e) {
                failure = e;
            }
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            if (allocated <= bound) {
                if (failure != null) {
                    throw failure;
                }
                return image;
            }
            if (attempt == 2) {
                throw new AssertionError("reading a file of " + fileSize + " bytes allocated " + allocated + " bytes");
            }
        }
    }

    private static void requireOneLine(ImageFormatException e) {
        String m = e.getMessage();
        if (m == null || m.isBlank() || m.contains("\n") || m.contains("\r")) {
            throw new AssertionError("not a one-line message: " + m, e);
        }
    }

    /** The bytes with the metadata, data and header checksums that their header's sizes call for. */
    static byte[] withChecksums(byte[] bytes) {
        if (bytes.length < ImageFormat.HEADER_SIZE) {
            return bytes;
        }
        byte[] b = bytes.clone();
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        putCrc(h, 52, b, h.getLong(16), h.getLong(24));
        putCrc(h, 56, b, h.getLong(32), h.getLong(40));
        putCrc(h, ImageFormat.HEADER_CRC_OFFSET, b, 0, ImageFormat.HEADER_CRC_OFFSET);
        return b;
    }

    private static void putCrc(ByteBuffer header, int at, byte[] b, long offset, long size) {
        if (offset >= 0 && size >= 0 && offset <= b.length && size <= b.length - offset) {
            CRC32C crc = new CRC32C();
            crc.update(b, (int) offset, (int) size);
            header.putInt(at, (int) crc.getValue());
        }
    }

    private static void writeFresh(byte[] bytes) {
        try {
            Files.deleteIfExists(FILE);
            Files.write(FILE, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path fuzzFile() {
        try {
            Path dir = Files.createTempDirectory("fuzz-image-");
            dir.toFile().deleteOnExit();
            Path file = dir.resolve("input.spice");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
