package dev.spice.image;

import java.nio.file.Path;

/** An image file that was read and validated: where it is, its header and its contents. */
public record Image(Path path, Header header, ImageContents contents) {

    /** The header fields a reader needs beyond the contents. */
    public record Header(int version, long metadataSize, long dataOffset, long dataSize,
            int metadataCrc, int dataCrc, long createdUnixMs, int sectionCount) {}
}
