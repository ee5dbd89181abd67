package dev.spice.image;

import dev.spice.image.Records.FdKind;
import dev.spice.image.Records.FdRecord;
import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.Records.WorkingSet;
import dev.spice.image.Records.WsRange;
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
        if (version < ImageFormat.OLDEST_READABLE_VERSION || version > ImageFormat.VERSION) {
            throw new ImageFormatException("image " + path + " has format version " + Integer.toUnsignedString(version)
                    + "; this build reads versions " + ImageFormat.OLDEST_READABLE_VERSION + " to " + ImageFormat.VERSION);
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
        // Every size is bounded by the file's before anything is allocated by it, without sums that overflow.
        if (headerSize != ImageFormat.HEADER_SIZE || metaOffset != ImageFormat.METADATA_OFFSET
                || metaSize < 0 || metaSize > Integer.MAX_VALUE || dataOffset < metaOffset + metaSize
                || dataOffset % ImageFormat.PAGE_SIZE != 0 || dataSize < 0 || dataSize % ImageFormat.PAGE_SIZE != 0
                || pageSize != ImageFormat.PAGE_SIZE) {
            throw new ImageFormatException("image " + path + " has an inconsistent header");
        }
        if (machine != ImageFormat.MACHINE_X86_64) {
            throw new ImageFormatException("image " + path + " is for machine type " + machine + ", not x86-64");
        }
        if (dataOffset > fileSize || dataSize > fileSize - dataOffset) {
            throw new ImageFormatException("image " + path + " is truncated: " + fileSize + " bytes, but its header "
                    + "places " + dataSize + " bytes of page data at offset " + dataOffset);
        }
        ByteBuffer metadata = readFully(ch, metaOffset, (int) metaSize);
        crc.reset();
        crc.update(metadata.duplicate());
        if ((int) crc.getValue() != metaCrc) {
            throw new ImageFormatException("image " + path + " is corrupt: metadata checksum mismatch");
        }
        ImageContents contents = MetadataCodec.decode(metadata, sections, version);
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

    /**
     * The tables against each other and against the header, as docs/image-format.md states them.
     * Lengths and counts are compared by division or subtraction of values already bounded, so no
     * check can be passed by a sum or product that overflows.
     */
    private static void checkStructure(Path path, Image.Header header, ImageContents c) {
        long dataEnd = header.dataOffset() + header.dataSize();     // bounded by the file size
        long prevEnd = 0;
        for (VmaRecord v : c.vmas()) {
            if (v.start() < prevEnd || v.start() >= v.end() || v.end() > ImageFormat.USER_SPACE_END
                    || !pageAligned(v.start()) || !pageAligned(v.end())) {
                throw new ImageFormatException("image " + path + " has a malformed or overlapping mapping at 0x"
                        + Long.toHexString(v.start()));
            }
            prevEnd = v.end();
            if (v.file() != ImageFormat.NONE && (v.file() < 0 || v.file() >= c.files().size())
                    || v.kind() == VmaKind.FILE && v.file() == ImageFormat.NONE) {
                throw new ImageFormatException("image " + path + " has a mapping with an unknown file");
            }
            if (v.firstRun() < 0 || v.runCount() < 0 || (long) v.firstRun() + v.runCount() > c.runs().size()) {
                throw new ImageFormatException("image " + path + " has a mapping with unknown page runs");
            }
            long prevRunEnd = v.start();
            for (PageRun r : c.runsOf(v)) {
                if (r.start() < prevRunEnd || r.start() > v.end() || !pageAligned(r.start()) || r.pages() <= 0
                        || r.pages() > (v.end() - r.start()) / ImageFormat.PAGE_SIZE
                        || r.dataOffset() < header.dataOffset() || r.dataOffset() > dataEnd
                        || !pageAligned(r.dataOffset())
                        || r.pages() > (dataEnd - r.dataOffset()) / ImageFormat.PAGE_SIZE) {
                    throw new ImageFormatException("image " + path + " has a page run outside its mapping or data, "
                            + "or out of order");
                }
                prevRunEnd = r.start() + r.bytes();
            }
        }
        int prevFd = -1;
        for (FdRecord f : c.fds()) {
            if (f.fd() <= prevFd || (f.kind() == FdKind.FILE && (f.file() < 0 || f.file() >= c.files().size()))) {
                throw new ImageFormatException("image " + path + " has a malformed or unsorted file descriptor entry");
            }
            prevFd = f.fd();
        }
        KernelObjectsCheck.check(path, header.version(), c);
        checkWorkingSet(path, header, c);
        int exe = c.process().exeFile();
        if (exe < 0 || exe >= c.files().size()) {
            throw new ImageFormatException("image " + path + " has no executable file");
        }
        if (c.process().threadCount() != c.threads().size()) {
            throw new ImageFormatException("image " + path + " counts " + c.process().threadCount()
                    + " threads but holds " + c.threads().size());
        }
    }

    /**
     * Its data inside the page data; its ranges inside mappings (adjacent ones may be spanned), the
     * written ones first, then the read ones, each group sorted and without overlap (a read range
     * may span written pages: nearby reads are joined).
     */
    private static void checkWorkingSet(Path path, Image.Header header, ImageContents c) {
        WorkingSet ws = c.workingSet();
        if (ws.isEmpty()) {
            return;
        }
        long dataEnd = header.dataOffset() + header.dataSize();
        if (ws.dataOffset() < header.dataOffset() || ws.dataOffset() > dataEnd || !pageAligned(ws.dataOffset())
                || ws.dataBytes() < 0 || ws.dataBytes() > dataEnd - ws.dataOffset() || !pageAligned(ws.dataBytes())) {
            throw new ImageFormatException("image " + path + " has a working set outside its data");
        }
        long prevEnd = 0;
        int vma = 0;
        boolean written = true;
        for (WsRange r : ws.ranges()) {
            boolean isWritten = (r.flags() & ImageFormat.WS_WRITTEN) != 0;
            if (isWritten && !written) {
                throw new ImageFormatException("image " + path + " has a written working set range after the read ones");
            }
            if (written && !isWritten) {            // the read group starts again from the lowest address
                written = false;
                prevEnd = 0;
                vma = 0;
            }
            if (r.start() < prevEnd || r.start() >= ImageFormat.USER_SPACE_END || !pageAligned(r.start())
                    || r.pages() <= 0 || r.pages() > (ImageFormat.USER_SPACE_END - r.start()) / ImageFormat.PAGE_SIZE
                    || (r.flags() & ~ImageFormat.WS_WRITTEN) != 0) {
                throw new ImageFormatException("image " + path + " has a malformed or unsorted working set range");
            }
            while (vma < c.vmas().size() && c.vmas().get(vma).end() <= r.start()) {
                vma++;
            }
            for (long at = r.start(); at < r.end(); at = c.vmas().get(vma++).end()) {
                if (vma >= c.vmas().size() || c.vmas().get(vma).start() > at) {
                    throw new ImageFormatException("image " + path + " has a working set range outside its mappings");
                }
            }
            vma--;                                  // the next range may start in the mapping this one ended in
            prevEnd = r.end();
        }
    }

    private static boolean pageAligned(long value) {
        return value % ImageFormat.PAGE_SIZE == 0;
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
