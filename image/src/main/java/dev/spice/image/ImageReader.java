package dev.spice.image;

import dev.spice.image.Records.FdKind;
import dev.spice.image.Records.FdRecord;
import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.Records.WorkingSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads an image and checks everything that can be checked without the process: magic,
 * version, checksums of header and metadata, sizes, and the consistency of the tables.
 * Every problem is an {@link ImageFormatException} with a one-line message.
 */
public final class ImageReader {
    private ImageReader() {}

    public static Image read(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return read(ch, path);
        } catch (NoSuchFileException e) {
            throw new ImageFormatException("image " + path + " does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image " + path, e);
        }
    }

    /** Reads and validates the image open on {@code ch}; {@code path} is where it is, or will be. */
    static Image read(FileChannel ch, Path path) throws IOException {
        long fileSize = ch.size();
        if (fileSize < ImageFormat.HEADER_SIZE) {
            throw new ImageFormatException("image " + path + " is truncated (" + fileSize + " bytes)");
        }
        ByteBuffer h = readFully(ch, 0, ImageFormat.HEADER_SIZE);
        byte[] magic = new byte[8];
        h.get(magic);
        if (!Arrays.equals(magic, ImageFormat.MAGIC)) {
            throw new ImageFormatException(path + " is not a Spice image");
        }
        int version = h.getInt();
        if (version != ImageFormat.VERSION) {
            throw new ImageFormatException("image " + path + " has format version " + version
                    + "; this build reads version " + ImageFormat.VERSION);
        }
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, ImageFormat.HEADER_CRC_OFFSET);
        if ((int) crc.getValue() != h.getInt(ImageFormat.HEADER_CRC_OFFSET)) {
            throw new ImageFormatException("image " + path + " is corrupt: header checksum mismatch");
        }
        int headerSize = h.getInt();
        long metaOffset = h.getLong(), metaSize = h.getLong(), dataOffset = h.getLong(), dataSize = h.getLong();
        int sections = h.getInt(), metaCrc = h.getInt(), dataCrc = h.getInt();
        h.getInt();
        long created = h.getLong();
        int pageSize = h.getInt(), machine = h.getInt();
        if (headerSize != ImageFormat.HEADER_SIZE || metaOffset != ImageFormat.METADATA_OFFSET
                || metaSize < 0 || metaOffset + metaSize > dataOffset || dataOffset % ImageFormat.PAGE_SIZE != 0
                || dataSize < 0 || dataSize % ImageFormat.PAGE_SIZE != 0 || pageSize != ImageFormat.PAGE_SIZE
                || metaSize > Integer.MAX_VALUE) {
            throw new ImageFormatException("image " + path + " has an inconsistent header");
        }
        if (machine != ImageFormat.MACHINE_X86_64) {
            throw new ImageFormatException("image " + path + " is for machine type " + machine + ", not x86-64");
        }
        if (fileSize < dataOffset + dataSize) {
            throw new ImageFormatException("image " + path + " is truncated: " + fileSize + " of "
                    + (dataOffset + dataSize) + " bytes");
        }
        ByteBuffer metadata = readFully(ch, metaOffset, (int) metaSize);
        crc.reset();
        crc.update(metadata.duplicate());
        if ((int) crc.getValue() != metaCrc) {
            throw new ImageFormatException("image " + path + " is corrupt: metadata checksum mismatch");
        }
        ImageContents contents = MetadataCodec.decode(metadata, sections);
        Image.Header header = new Image.Header(version, metaSize, dataOffset, dataSize, metaCrc, dataCrc,
                created, sections);
        checkStructure(path, header, contents);
        return new Image(path, header, contents);
    }

    /** Recomputes the checksum of the page data (reads the whole file). */
    public static void verifyData(Image image) {
        try (FileChannel ch = FileChannel.open(image.path(), StandardOpenOption.READ)) {
            verifyData(ch, image);
        } catch (NoSuchFileException e) {
            throw new ImageFormatException("image " + image.path() + " does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image " + image.path(), e);
        }
    }

    static void verifyData(FileChannel ch, Image image) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        long end = image.header().dataOffset() + image.header().dataSize();
        for (long pos = image.header().dataOffset(); pos < end;) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
            int n = ch.read(buf, pos);
            if (n <= 0) {
                throw new ImageFormatException("image " + image.path() + " is truncated");
            }
            pos += n;
            crc.update(buf.flip());
        }
        if ((int) crc.getValue() != image.header().dataCrc()) {
            throw new ImageFormatException("image " + image.path() + " is corrupt: page data checksum mismatch");
        }
    }

    private static void checkStructure(Path path, Image.Header header, ImageContents c) {
        long prevEnd = 0;
        for (VmaRecord v : c.vmas()) {
            if (v.start() >= v.end() || v.start() % ImageFormat.PAGE_SIZE != 0 || v.end() % ImageFormat.PAGE_SIZE != 0
                    || v.start() < prevEnd) {
                throw new ImageFormatException("image " + path + " has a malformed or overlapping mapping at 0x"
                        + Long.toHexString(v.start()));
            }
            prevEnd = v.end();
            if (v.file() != ImageFormat.NONE && (v.file() < 0 || v.file() >= c.files().size())) {
                throw new ImageFormatException("image " + path + " has a mapping with an unknown file");
            }
            if (v.firstRun() < 0 || v.runCount() < 0 || (long) v.firstRun() + v.runCount() > c.runs().size()) {
                throw new ImageFormatException("image " + path + " has a mapping with unknown page runs");
            }
            long prevRunEnd = v.start();
            for (PageRun r : c.runsOf(v)) {
                if (r.start() < prevRunEnd || r.start() + r.bytes() > v.end() || r.dataOffset() < header.dataOffset()
                        || r.dataOffset() % ImageFormat.PAGE_SIZE != 0
                        || r.dataOffset() + r.bytes() > header.dataOffset() + header.dataSize()) {
                    throw new ImageFormatException("image " + path + " has a page run outside its mapping or data, "
                            + "or out of order");
                }
                prevRunEnd = r.start() + r.bytes();
            }
        }
        for (FdRecord f : c.fds()) {
            if (f.fd() < 0 || (f.kind() == FdKind.FILE && (f.file() < 0 || f.file() >= c.files().size()))) {
                throw new ImageFormatException("image " + path + " has a malformed file descriptor entry");
            }
        }
        WorkingSet ws = c.workingSet();
        if (!ws.isEmpty() && (ws.dataOffset() < header.dataOffset() || ws.dataBytes() < 0
                || ws.dataOffset() + ws.dataBytes() > header.dataOffset() + header.dataSize())) {
            throw new ImageFormatException("image " + path + " has a working set outside its data");
        }
        int exe = c.process().exeFile();
        if (exe < 0 || exe >= c.files().size()) {
            throw new ImageFormatException("image " + path + " has no executable file");
        }
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int size) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw new ImageFormatException("image is truncated");
            }
        }
        return b.flip();
    }
}
