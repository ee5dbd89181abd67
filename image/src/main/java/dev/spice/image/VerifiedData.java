package dev.spice.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.Map;

/**
 * The page data of an image checked against the header's checksum once per version of the file,
 * not on every restore: a restore maps the data lazily and never reads most of it. A check that
 * passed is stamped into the file's extended attribute {@code user.spice.verified} as inode, size,
 * modification time and checksum; anything that writes or truncates the file moves its
 * modification time, so the stamp stops matching and the next restore checks again. A later
 * restore, in any process, pays one getxattr. Where the file system keeps no user attributes, each
 * process checks once (the caller caches the result by file identity).
 */
public final class VerifiedData {
    static final String ATTRIBUTE = "spice.verified";

    private VerifiedData() {}

    /** Checks {@code image}'s page data unless its stamp says this version of the file passed. */
    public static void ensure(Image image) {
        String stamp = stamp(image.path(), image.header().dataCrc());
        if (stamp.equals(storedStamp(image.path()))) {
            return;
        }
        ImageReader.verifyData(image);
        store(image.path(), stamp);
    }

    /** Stamps a file whose page data was just checked (by the writer, before it moves the file into place). */
    static void stampChecked(Path path, int dataCrc) {
        store(path, stamp(path, dataCrc));
    }

    private static String stamp(Path path, int dataCrc) {
        try {
            Map<String, Object> a = Files.readAttributes(path, "unix:ino,size,lastModifiedTime");
            FileTime mtime = (FileTime) a.get("lastModifiedTime");
            return "1 " + a.get("ino") + " " + a.get("size") + " " + mtime.to(java.util.concurrent.TimeUnit.NANOSECONDS)
                    + " " + Integer.toHexString(dataCrc);
        } catch (IOException e) {
            throw new ImageFormatException("image " + path + " cannot be examined: " + e.getMessage());
        }
    }

    private static String storedStamp(Path path) {
        try {
            UserDefinedFileAttributeView view = Files.getFileAttributeView(path, UserDefinedFileAttributeView.class);
            if (view == null || !view.list().contains(ATTRIBUTE)) {
                return null;
            }
            ByteBuffer b = ByteBuffer.allocate(Math.min(view.size(ATTRIBUTE), 256));
            view.read(ATTRIBUTE, b);
            return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    private static void store(Path path, String stamp) {
        try {
            UserDefinedFileAttributeView view = Files.getFileAttributeView(path, UserDefinedFileAttributeView.class);
            if (view != null) {
                view.write(ATTRIBUTE, StandardCharsets.US_ASCII.encode(stamp));
            }
        } catch (IOException | UnsupportedOperationException e) {
            // no user attributes here (or a read-only file): the next process checks again
        }
    }
}
