package dev.spice.engine;

import dev.spice.sys.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Unpacks a function's zip package (as a Lambda CreateFunction uploads it) into its code
 * directory, refusing anything that could write outside it or fill the disk: absolute names,
 * {@code ..}, symbolic links whose target leaves the tree or passes through another link, more
 * entries or more bytes than the limits (counted as they are inflated, since a zip's declared
 * sizes can lie). Regular files, directories, symbolic links and the owner's execute bit are
 * kept. On any refusal the code directory is removed again; the caller discards the rest.
 */
final class ZipPackage {
    /** Lambda's own limit for a function's unzipped code. */
    static final long MAX_BYTES = 250L << 20;
    static final int MAX_ENTRIES = 20_000;
    /** The name the package is parked under, beside the code directory, while it is read. */
    private static final String UPLOAD = ".package.zip";
    private static final int S_IFMT = 0170000, S_IFLNK = 0120000, S_IFDIR = 0040000, S_IXUSR = 0100;

    private ZipPackage() {}

    /** Unpacks {@code zip} into {@code to}, which must not exist; every refusal is a {@link DeployException}. */
    static void extract(byte[] zip, Path to, long maxBytes, int maxEntries) {
        Path upload = to.resolveSibling(UPLOAD);
        try {
            Files.write(upload, zip, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Map<String, Integer> modes = unixModes(zip);
            try (ZipFile file = new ZipFile(upload.toFile())) {
                if (file.size() > maxEntries) {
                    throw refused("it has " + file.size() + " entries, more than the limit of " + maxEntries);
                }
                Files.createDirectory(to);
                unpack(file, modes, to, maxBytes);
            }
        } catch (ZipException e) {
            delete(to);
            throw refused("it is not a valid zip file (" + e.getMessage() + ")");
        } catch (IOException e) {
            delete(to);
            throw new DeployException("cannot unpack the code: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            delete(to);
            throw e;
        } finally {
            delete(upload);
        }
    }

    private static void unpack(ZipFile file, Map<String, Integer> modes, Path to, long maxBytes) throws IOException {
        Set<String> names = new HashSet<>();
        Map<String, String> links = new HashMap<>();        // entry path -> target
        List<ZipEntry> entries = new ArrayList<>();
        for (Enumeration<? extends ZipEntry> e = file.entries(); e.hasMoreElements(); ) {
            ZipEntry entry = e.nextElement();
            String path = safePath(entry.getName());
            if (!names.add(path)) {
                throw refused("the entry " + path + " appears twice");
            }
            int mode = modes.getOrDefault(entry.getName(), 0);
            if ((mode & S_IFMT) == S_IFLNK) {
                links.put(path, null);
            }
            entries.add(entry);
        }
        long[] written = {0};
        byte[] buffer = new byte[64 * 1024];
        // Files and directories first, links last: nothing is ever written through a link.
        for (ZipEntry entry : entries) {
            String path = safePath(entry.getName());
            Path target = to.resolve(path);
            for (String prefix = parent(path); prefix != null; prefix = parent(prefix)) {
                if (links.containsKey(prefix)) {
                    throw refused("the entry " + path + " lies under the symbolic link " + prefix);
                }
            }
            int mode = modes.getOrDefault(entry.getName(), 0);
            if (links.containsKey(path)) {
                links.put(path, new String(read(file, entry, maxBytes, written), StandardCharsets.UTF_8));
            } else if (entry.isDirectory() || (mode & S_IFMT) == S_IFDIR) {
                Files.createDirectories(target);
            } else {
                Files.createDirectories(target.getParent());
                try (InputStream in = file.getInputStream(entry);
                        OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW)) {
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        count(written, n, maxBytes);
                        out.write(buffer, 0, n);
                    }
                } catch (FileAlreadyExistsException e) {
                    throw refused("the entry " + path + " appears twice");
                }
                if ((mode & S_IXUSR) != 0) {
                    Set<PosixFilePermission> p = EnumSet.copyOf(Files.getPosixFilePermissions(target));
                    p.add(PosixFilePermission.OWNER_EXECUTE);
                    p.add(PosixFilePermission.GROUP_EXECUTE);
                    p.add(PosixFilePermission.OTHERS_EXECUTE);
                    Files.setPosixFilePermissions(target, p);
                }
            }
        }
        for (Map.Entry<String, String> link : links.entrySet()) {
            checkLink(link.getKey(), link.getValue(), links.keySet());
            Path target = to.resolve(link.getKey());
            Files.createDirectories(target.getParent());
            try {
                Files.createSymbolicLink(target, Path.of(link.getValue()));
            } catch (FileAlreadyExistsException e) {
                throw refused("the entry " + link.getKey() + " appears twice");
            }
        }
    }

    /** The entry's name as a relative path without "." or "..", or a refusal. */
    private static String safePath(String name) {
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.indexOf('\0') >= 0
                || name.matches("^[A-Za-z]:.*")) {
            throw refused("the entry name '" + name + "' is absolute or not a plain relative path");
        }
        List<String> parts = new ArrayList<>();
        for (String part : name.split("/")) {
            if (part.equals("..")) {
                throw refused("the entry name '" + name + "' contains '..'");
            }
            if (!part.isEmpty() && !part.equals(".")) {
                parts.add(part);
            }
        }
        if (parts.isEmpty()) {
            throw refused("the entry name '" + name + "' names no file");
        }
        return String.join("/", parts);
    }

    /**
     * A link's target must be relative and, walked from the link's directory one component at a
     * time as the kernel would, stay inside the tree and pass through no other link (whose own
     * target would change where a later ".." leads).
     */
    private static void checkLink(String path, String target, Set<String> links) {
        if (target.isEmpty() || target.startsWith("/") || target.indexOf('\0') >= 0) {
            throw refused("the symbolic link " + path + " points to '" + target + "', outside the function");
        }
        List<String> at = new ArrayList<>(List.of(path.split("/")));
        at.removeLast();
        for (String part : target.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (at.isEmpty()) {
                    throw refused("the symbolic link " + path + " points to '" + target + "', outside the function");
                }
                at.removeLast();
            } else {
                at.add(part);
                if (links.contains(String.join("/", at))) {
                    throw refused("the symbolic link " + path + " points through another symbolic link");
                }
            }
        }
    }

    private static byte[] read(ZipFile file, ZipEntry entry, long maxBytes, long[] written) throws IOException {
        try (InputStream in = file.getInputStream(entry)) {
            byte[] bytes = in.readNBytes(4097);
            if (bytes.length > 4096) {
                throw refused("the symbolic link " + entry.getName() + " has a target longer than 4096 bytes");
            }
            count(written, bytes.length, maxBytes);
            return bytes;
        }
    }

    private static void count(long[] written, int n, long maxBytes) {
        written[0] += n;
        if (written[0] > maxBytes) {
            throw refused("it unpacks to more than the limit of " + maxBytes + " bytes");
        }
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? null : path.substring(0, slash);
    }

    /**
     * The Unix mode of each entry, from the central directory's external attributes (entries
     * made on Unix keep it in the high 16 bits), which java.util.zip does not expose.
     */
    private static Map<String, Integer> unixModes(byte[] zip) throws ZipException {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int end = -1;
        for (int i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xFFFF); i--) {
            if (b.getInt(i) == 0x06054b50) {
                end = i;
                break;
            }
        }
        if (end < 0) {
            throw new ZipException("no end of central directory");
        }
        int count = Short.toUnsignedInt(b.getShort(end + 10));
        long offset = Integer.toUnsignedLong(b.getInt(end + 16));
        Map<String, Integer> modes = new HashMap<>();
        int at = (int) Math.min(offset, zip.length);
        for (int i = 0; i < count; i++) {
            if (at + 46 > zip.length || b.getInt(at) != 0x02014b50) {
                throw new ZipException("a damaged central directory");
            }
            int madeBy = Short.toUnsignedInt(b.getShort(at + 4)) >> 8;
            int nameLength = Short.toUnsignedInt(b.getShort(at + 28));
            int extraLength = Short.toUnsignedInt(b.getShort(at + 30));
            int commentLength = Short.toUnsignedInt(b.getShort(at + 32));
            int external = b.getInt(at + 38);
            if (at + 46 + nameLength > zip.length) {
                throw new ZipException("a damaged central directory");
            }
            String name = new String(zip, at + 46, nameLength, StandardCharsets.UTF_8);
            if (madeBy == 3) {                                  // Unix
                modes.put(name, external >>> 16);
            }
            at += 46 + nameLength + extraLength + commentLength;
        }
        return modes;
    }

    private static DeployException refused(String why) {
        return new DeployException("the code package is refused: " + why);
    }

    private static void delete(Path path) {
        try {
            FileTrees.delete(path);
        } catch (IOException e) {
            // the caller discards the whole version directory anyway
        }
    }
}
