package dev.spice.restore;

import dev.spice.image.Image;
import dev.spice.image.ImageFormat;
import dev.spice.image.ImageReader;
import dev.spice.image.Records.FileRecord;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.VmaKind;
import dev.spice.sys.ErrnoException;
import dev.spice.sys.Fds;
import dev.spice.sys.FileStat;
import dev.spice.sys.UseCount;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The files an image maps, kept open (read-only) for as long as its snapshot is deployed, and the
 * image itself. Two things come of it. An open file pins its inode and dentry, and with them its
 * parent directories: {@code drop_caches} drops only unused ones, so a cold restore finds them
 * in memory instead of reading directory and inode blocks one at a time (hello's 5.7 ms of path
 * lookups, cnn_serving's 14 ms). And the restorer is handed these descriptors instead of opening
 * the files by path ({@link #fds()}, {@link #indexes()}); it still checks each one with
 * {@code fstat} (identity, content, and a link count above 0: a file replaced or removed since
 * has none), so a stale pin is refused by name as a changed path would be.
 *
 * <p>A file that cannot be opened now, differs from the image's record, or has more than one
 * name (replacing one name would not show in its link count) is not pinned: the restorer opens
 * it by path and reports what is wrong with it. {@link #close} is safe while restores use the
 * descriptors: they are closed when the last user is done.
 */
public final class PinnedFiles implements AutoCloseable {
    /** Nothing pinned: every file is opened by path. */
    public static final PinnedFiles NONE = new PinnedFiles(-1, new int[0], new int[0]);
    private static final int PROT_WRITE = 2;

    private final int imageFd;
    private final int[] indexes;
    private final int[] fds;
    private final UseCount uses = new UseCount(this::closeDescriptors);

    private PinnedFiles(int imageFd, int[] indexes, int[] fds) {
        this.imageFd = imageFd;
        this.indexes = indexes;
        this.fds = fds;
    }

    /** Pins what {@code image} maps (its metadata is read, not its page data). */
    public static PinnedFiles of(Path image) {
        Image img = ImageReader.read(image);
        int imageFd = Fds.openReadOnly(image.toAbsolutePath().toString());
        TreeSet<Integer> mapped = new TreeSet<>();
        for (VmaRecord v : img.contents().vmas()) {
            // A shared writable mapping is opened read-write by the restorer itself.
            if (v.kind() == VmaKind.FILE && !(v.has(ImageFormat.VMA_F_SHARED) && (v.prot() & PROT_WRITE) != 0)) {
                mapped.add(v.file());
            }
        }
        List<Integer> indexes = new ArrayList<>();
        List<Integer> fds = new ArrayList<>();
        for (int index : mapped) {
            int fd = open(img.contents().files().get(index));
            if (fd >= 0) {
                indexes.add(index);
                fds.add(fd);
            }
        }
        return new PinnedFiles(imageFd, indexes.stream().mapToInt(Integer::intValue).toArray(),
                fds.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The file opened and checked as the restorer will check it, or -1 to leave it to the restorer. */
    private static int open(FileRecord f) {
        int fd;
        try {
            fd = Fds.openReadOnly(f.path());
        } catch (ErrnoException e) {
            return -1;
        }
        FileStat s = FileStat.ofFd(fd);
        boolean same = (f.checks() & ImageFormat.CHECK_IDENTITY) == 0
                || (s.devMajor() == f.devMajor() && s.devMinor() == f.devMinor() && s.inode() == f.inode());
        boolean unchanged = (f.checks() & ImageFormat.CHECK_CONTENT) == 0
                || (s.size() == f.size() && s.mtimeSec() == f.mtimeSec() && s.mtimeNsec() == f.mtimeNsec());
        if (!same || !unchanged || !s.isRegular() || s.links() != 1) {
            Fds.close(fd);
            return -1;
        }
        return fd;
    }

    /** The image's file indexes of the pinned files, in the order of {@link #fds()}. */
    public int[] indexes() {
        return indexes.clone();
    }

    /** The pinned descriptors, in the order of {@link #indexes()}; valid between {@link #acquire} and {@link #release}. */
    public int[] fds() {
        return fds.clone();
    }

    public int count() {
        return fds.length;
    }

    /** Keeps the descriptors open until {@link #release}; false if they are closed already. */
    boolean acquire() {
        return uses.enter();
    }

    void release() {
        uses.leave();
    }

    /** Closes the descriptors now, or when the last restore that acquired them releases them. */
    @Override
    public void close() {
        uses.close();
    }

    private void closeDescriptors() {
        for (int fd : fds) {
            Fds.close(fd);
        }
        Fds.close(imageFd);
    }
}
