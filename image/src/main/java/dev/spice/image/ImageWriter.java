package dev.spice.image;

import dev.spice.image.Records.WorkingSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * Writes an image atomically: page data is streamed into a temporary file next to the target,
 * the metadata and header follow, then fsync and rename. Until {@link #commit} succeeds the
 * target is untouched, and {@link #close} removes the temporary file (or, if the writer was killed,
 * the next writer of the same target does).
 *
 * <p>Page data starts after a reserve for the metadata, estimated up front; an unused reserve
 * is a hole in a sparse file. If the metadata outgrows it, the data moves up.
 */
public final class ImageWriter implements AutoCloseable {
    private static final int MOVE_CHUNK = 1 << 20;

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final CRC32C dataCrc = new CRC32C();
    private long dataOffset;
    private long dataSize;
    private boolean committed;

    private ImageWriter(Path target, long metadataEstimate) throws IOException {
        this.target = target.toAbsolutePath();
        removeAbandonedTemporaries(this.target);
        this.temp = this.target.resolveSibling(temporaryPrefix(this.target) + ProcessHandle.current().pid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        this.channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        this.dataOffset = pageAlign(ImageFormat.METADATA_OFFSET + metadataEstimate);
    }

    private static String temporaryPrefix(Path target) {
        return "." + target.getFileName() + ".tmp-";
    }

    /**
     * Removes the temporary files that writers of the same target left when they were killed
     * (SIGKILL gives no chance to clean up); each name holds its writer's PID.
     */
    private static void removeAbandonedTemporaries(Path target) throws IOException {
        String prefix = temporaryPrefix(target);
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(target.getParent(), prefix + "*")) {
            for (Path t : siblings) {
                String rest = t.getFileName().toString().substring(prefix.length());
                int dash = rest.indexOf('-');
                try {
                    long pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                    if (ProcessHandle.of(pid).isEmpty()) {
                        Files.deleteIfExists(t);
                    }
                } catch (NumberFormatException e) {
                    // not one of ours
                }
            }
        } catch (NoSuchFileException e) {
            // no directory yet: creating the file will say so
        }
    }

    /** Starts an image at {@code target}, reserving {@code metadataEstimate} bytes for metadata. */
    public static ImageWriter create(Path target, long metadataEstimate) {
        try {
            return new ImageWriter(target, metadataEstimate);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create an image next to " + target, e);
        }
    }

    /** A metadata size that fits a process with these counts (a generous upper bound). */
    public static long estimateMetadata(long vmas, long maxRuns, long files, long fds) {
        return 64 * 1024 + vmas * ImageFormat.VMA_SIZE + maxRuns * ImageFormat.RUN_SIZE
                + files * (ImageFormat.FILE_SIZE + 256L) + fds * ImageFormat.FD_SIZE;
    }

    /** Appends whole pages; returns the absolute file offset they were written at. */
    public long appendPages(MemorySegment pages) {
        if (pages.byteSize() % ImageFormat.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("page data must be whole pages");
        }
        long at = dataOffset + dataSize;
        ByteBuffer buffer = pages.asByteBuffer();
        dataCrc.update(buffer.duplicate());
        try {
            long position = at;
            while (buffer.hasRemaining()) {
                position += channel.write(buffer, position);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write image " + target, e);
        }
        dataSize += pages.byteSize();
        return at;
    }

    /** Reads back {@code into.byteSize()} bytes of page data appended earlier, at absolute offset {@code offset}. */
    public void readBack(long offset, MemorySegment into) {
        ByteBuffer buffer = into.asByteBuffer();
        try {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, offset + buffer.position()) < 0) {
                    throw new IOException("read past the end of " + temp);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read back image " + target + " being written", e);
        }
    }

    /**
     * Writes metadata and header, makes the file durable, reads it back through the same
     * validation a restore applies (structure and page-data checksum), and only then moves it
     * into place. An image its reader would reject is never written: the target stays as it was.
     */
    public void commit(ImageContents contents) {
        try {
            MetadataCodec.Encoded metadata = MetadataCodec.encode(contents);
            long needed = pageAlign(ImageFormat.METADATA_OFFSET + metadata.bytes().length);
            if (needed > dataOffset) {
                contents = moveData(contents, needed);
                metadata = MetadataCodec.encode(contents);
            }
            if (dataSize == 0) {
                write(ByteBuffer.allocate(1), dataOffset - 1);  // the file spans the metadata reserve
            }
            CRC32C metaCrc = new CRC32C();
            metaCrc.update(metadata.bytes());
            write(ByteBuffer.wrap(metadata.bytes()), ImageFormat.METADATA_OFFSET);
            write(header(metadata, (int) metaCrc.getValue()), 0);
            channel.force(true);
            checkWritten();
            channel.close();
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            committed = true;
            syncDirectory(target.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write image " + target, e);
        }
    }

    private void checkWritten() throws IOException {
        try {
            Image written = ImageReader.read(channel, target);
            ImageReader.verifyData(channel, written);
        } catch (ImageFormatException e) {
            throw new ImageFormatException("the image just written fails its own validation, so " + target
                    + " was left as it was: " + e.getMessage());
        }
        VerifiedData.stampChecked(temp, (int) dataCrc.getValue());
    }

    private ByteBuffer header(MetadataCodec.Encoded metadata, int metadataCrc) {
        ByteBuffer h = ByteBuffer.allocate(ImageFormat.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        h.put(ImageFormat.MAGIC).putInt(ImageFormat.VERSION).putInt(ImageFormat.HEADER_SIZE)
                .putLong(ImageFormat.METADATA_OFFSET).putLong(metadata.bytes().length)
                .putLong(dataOffset).putLong(dataSize).putInt(metadata.sections()).putInt(metadataCrc)
                .putInt((int) dataCrc.getValue()).putInt(0).putLong(System.currentTimeMillis())
                .putInt(ImageFormat.PAGE_SIZE).putInt(ImageFormat.MACHINE_X86_64);
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, ImageFormat.HEADER_CRC_OFFSET);
        h.putInt(ImageFormat.HEADER_CRC_OFFSET, (int) crc.getValue());
        return h.rewind();
    }

    /** Moves the data section up to {@code newOffset} (back to front: the ranges may overlap). */
    private ImageContents moveData(ImageContents contents, long newOffset) throws IOException {
        long delta = newOffset - dataOffset;
        ByteBuffer chunk = ByteBuffer.allocateDirect(MOVE_CHUNK);
        for (long end = dataSize; end > 0; end -= MOVE_CHUNK) {
            long start = Math.max(0, end - MOVE_CHUNK);
            chunk.clear().limit((int) (end - start));
            while (chunk.hasRemaining()) {
                channel.read(chunk, dataOffset + start + chunk.position());
            }
            chunk.flip();
            write(chunk, newOffset + start);
        }
        dataOffset = newOffset;
        List<Records.PageRun> moved = new ArrayList<>();
        for (Records.PageRun r : contents.runs()) {
            moved.add(new Records.PageRun(r.start(), r.pages(), r.dataOffset() + delta));
        }
        WorkingSet ws = contents.workingSet();
        return contents.withMemory(contents.vmas(), moved, ws.isEmpty() ? ws
                : new WorkingSet(ws.ranges(), ws.dataOffset() + delta, ws.dataBytes()));
    }

    private void write(ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            position += channel.write(buffer, position);
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    private static long pageAlign(long n) {
        return (n + ImageFormat.PAGE_SIZE - 1) & -ImageFormat.PAGE_SIZE;
    }

    @Override
    public void close() {
        try {
            if (channel.isOpen()) {
                channel.close();
            }
            if (!committed) {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + temp, e);
        }
    }
}
