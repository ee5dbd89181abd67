package dev.spice.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The access keys the server accepts, in the AWS shared-credentials format that users already
 * have ({@code ~/.aws/credentials}): every profile's {@code aws_access_key_id} and
 * {@code aws_secret_access_key}. A server without configured keys creates one in its state
 * directory, readable by root only, where the spice CLI on the same machine finds it.
 */
public final class ApiCredentials {
    /** Where a server keeps the key it created, and where the CLI looks for it. */
    public static final String STATE_FILE = "credentials";

    /** One access key; {@link #toString} does not show the secret. */
    public record Key(String id, String secret) {
        @Override
        public String toString() {
            return id;
        }
    }

    private final Map<String, Key> keys;

    private ApiCredentials(Map<String, Key> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no access keys");
        }
        this.keys = Map.copyOf(keys);
    }

    /** The key with this id, or null. */
    Key find(String id) {
        return keys.get(id);
    }

    /** A key to sign with (the first profile's). */
    public Key first() {
        return keys.values().iterator().next();
    }

    /** "ACCESS_KEY_ID:SECRET", as in SPICE_CREDENTIALS. */
    public static ApiCredentials parse(String pair) {
        int colon = pair.indexOf(':');
        if (colon <= 0 || colon == pair.length() - 1) {
            throw new IllegalArgumentException("credentials must be ACCESS_KEY_ID:SECRET_ACCESS_KEY");
        }
        Key k = new Key(pair.substring(0, colon).strip(), pair.substring(colon + 1).strip());
        return new ApiCredentials(Map.of(k.id(), k));
    }

    /** Every profile of a shared-credentials file; an unreadable or keyless file is an IllegalArgumentException. */
    public static ApiCredentials load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no credentials file " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read credentials file " + file + ": " + e.getMessage());
        }
        Map<String, Key> keys = new LinkedHashMap<>();
        String id = null, secret = null;
        for (String raw : lines) {
            String line = raw.strip();
            if (line.startsWith("[")) {
                add(keys, id, secret);
                id = secret = null;
            } else if (line.contains("=") && !line.startsWith("#") && !line.startsWith(";")) {
                String name = line.substring(0, line.indexOf('=')).strip(), value = line.substring(line.indexOf('=') + 1).strip();
                if (name.equals("aws_access_key_id")) {
                    id = value;
                } else if (name.equals("aws_secret_access_key")) {
                    secret = value;
                }
            }
        }
        add(keys, id, secret);
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no aws_access_key_id with its aws_secret_access_key");
        }
        return new ApiCredentials(keys);
    }

    private static void add(Map<String, Key> keys, String id, String secret) {
        if (id != null && secret != null && !id.isEmpty() && !secret.isEmpty()) {
            keys.put(id, new Key(id, secret));
        }
    }

    /** The credentials in {@code file}, which is first created with a new random key if it does not exist. */
    public static ApiCredentials loadOrCreate(Path file) {
        if (!Files.exists(file)) {
            SecureRandom random = new SecureRandom();
            String text = "[default]\naws_access_key_id = SPICE" + randomChars(random, 15, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                    + "\naws_secret_access_key = " + randomChars(random, 40,
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") + "\n";
            try {
                Files.createDirectories(file.getParent());
                Path temp = Files.createTempFile(file.getParent(), ".credentials", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(temp, text);
                try {
                    Files.createLink(file, temp);       // complete or absent; another server may have won
                } catch (FileAlreadyExistsException lost) {
                    // theirs stays
                } finally {
                    Files.deleteIfExists(temp);
                }
            } catch (IOException e) {
                if (!Files.exists(file)) {
                    throw new UncheckedIOException("cannot create credentials file " + file, e);
                }
            }
        }
        return load(file);
    }

    private static String randomChars(SecureRandom random, int n, String alphabet) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
