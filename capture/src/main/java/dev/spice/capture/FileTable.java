package dev.spice.capture;

import dev.spice.image.ImageFormat;
import dev.spice.image.Records.FileRecord;
import dev.spice.sys.ErrnoException;
import dev.spice.sys.FileStat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The files an image references (executable, mappings, open descriptors), each once, with what
 * restore must check: the same file (device, inode) and, where its content is used, the same
 * size and modification time.
 */
final class FileTable {
    private final List<FileRecord> files = new ArrayList<>();
    private final Map<String, Integer> byPath = new HashMap<>();

    /**
     * Adds the file the process sees through {@code procLink} (a /proc/PID/... link) under
     * {@code path}; refuses if that path does not lead to the same file from here.
     */
    int add(String what, String path, String procLink, boolean contentMatters) {
        if (path.endsWith(" (deleted)")) {
            throw new CaptureRefusedException(what + " " + path.substring(0, path.length() - 10)
                    + " was deleted; an image can only reference files that still exist");
        }
        FileStat seen = FileStat.of(procLink);
        FileStat here;
        try {
            here = FileStat.of(path);
        } catch (ErrnoException e) {
            throw new CaptureRefusedException(what + " " + path + " is not reachable from here ("
                    + e.getMessage() + ")");
        }
        if (!here.sameFile(seen)) {
            throw new CaptureRefusedException(what + " " + path
                    + " is a different file here (the process runs in another mount namespace)");
        }
        int checks = ImageFormat.CHECK_IDENTITY | (contentMatters ? ImageFormat.CHECK_CONTENT : 0);
        Integer existing = byPath.get(path);
        if (existing != null) {
            FileRecord f = files.get(existing);
            if ((f.checks() & checks) != checks) {
                files.set(existing, new FileRecord(f.path(), f.mode(), f.devMajor(), f.devMinor(), f.inode(),
                        f.size(), f.mtimeSec(), f.mtimeNsec(), f.checks() | checks));
            }
            return existing;
        }
        files.add(new FileRecord(path, seen.mode(), seen.devMajor(), seen.devMinor(), seen.inode(), seen.size(),
                seen.mtimeSec(), seen.mtimeNsec(), checks));
        byPath.put(path, files.size() - 1);
        return files.size() - 1;
    }

    List<FileRecord> records() {
        return List.copyOf(files);
    }
}
