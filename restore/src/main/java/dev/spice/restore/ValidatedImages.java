package dev.spice.restore;

import dev.spice.image.Image;
import dev.spice.image.ImageFormatException;
import dev.spice.image.ImageReader;
import dev.spice.image.VerifiedData;
import dev.spice.sys.ErrnoException;
import dev.spice.sys.FileStat;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Images this process has read and validated completely, page data included ({@link VerifiedData}),
 * keyed by what identifies their content: device, inode, size, modification and change time (any
 * write moves the change time). A repeated restore of an unchanged image then costs one stat
 * instead of a read and checksum. What can
 * change without the image changing (its referenced files) the restorer checks itself, with the
 * same identity and content rules, when it opens them.
 */
final class ValidatedImages {
    private record Key(String path, int devMajor, int devMinor, long inode, long size, long mtimeSec, int mtimeNsec,
            long ctimeSec, int ctimeNsec) {
        static Key of(Path path, FileStat s) {
            return new Key(path.toString(), s.devMajor(), s.devMinor(), s.inode(), s.size(), s.mtimeSec(),
                    s.mtimeNsec(), s.ctimeSec(), s.ctimeNsec());
        }
    }

    private static final int LIMIT = 1024;
    private static final Map<Key, Boolean> VALID = new ConcurrentHashMap<>();

    private ValidatedImages() {}

    /** Validates {@code image} unless this very file was validated before; returns its absolute path. */
    static Path validate(Path image) {
        Path path = image.toAbsolutePath();
        FileStat before;
        try {
            before = FileStat.of(path.toString());
        } catch (ErrnoException e) {
            throw new ImageFormatException("image " + path + " does not exist");
        }
        Key key = Key.of(path, before);
        if (VALID.containsKey(key)) {
            return path;
        }
        Image img = ImageReader.read(path);
        ImageValidator.validate(img.contents());
        VerifiedData.ensure(img);
        FileStat after = FileStat.of(path.toString());
        if (after.sameContent(before)) {
            key = Key.of(path, after);                  // the stamp, if just stored, moved the change time
            if (VALID.size() >= LIMIT) {
                VALID.clear();
            }
            VALID.put(key, Boolean.TRUE);
        }
        return path;
    }
}
