package dev.spice.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 (docs.aws.amazon.com, "Create a signed AWS API request"), as the AWS
 * SDKs and CLI sign Lambda requests: the canonical request (path segments URI-encoded twice,
 * the query sorted, the signed headers trimmed), the string to sign, the derived key and its
 * HMAC-SHA256. The server ({@link RequestAuthenticator}) and the spice CLI's client share it.
 *
 * <p>Written here rather than taken from the AWS SDK: the SDK's signers sign requests that the
 * SDK itself builds and decide which headers to sign, while a server must rebuild the
 * canonical form of a request it received, restricted to the headers the client chose to sign;
 * and the CLI would otherwise pull the SDK's runtime (tens of jars) into every command's start.
 * The algorithm is small and fixed; the AWS SDK and the AWS CLI test it against us.
 */
public final class SigV4 {
    public static final String ALGORITHM = "AWS4-HMAC-SHA256";
    static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final HexFormat HEX = HexFormat.of();

    private SigV4() {}

    /** The request's canonical form; {@code headers} maps lower-case names to their values, sorted. */
    static String canonicalRequest(String method, String rawPath, String rawQuery, SortedMap<String, String> headers,
            String payloadHash) {
        StringBuilder sb = new StringBuilder(method).append('\n').append(canonicalUri(rawPath)).append('\n')
                .append(canonicalQuery(rawQuery)).append('\n');
        headers.forEach((name, value) -> sb.append(name).append(':').append(value).append('\n'));
        return sb.append('\n').append(String.join(";", headers.keySet())).append('\n').append(payloadHash).toString();
    }

    /** The signature (hex) of a canonical request made at {@code amzDate} within {@code date/region/service}. */
    static String signature(String secret, String amzDate, String scope, String canonicalRequest) {
        String toSign = ALGORITHM + "\n" + amzDate + "\n" + scope + "\n" + sha256Hex(utf8(canonicalRequest));
        String[] parts = scope.split("/");
        byte[] key = hmac(utf8("AWS4" + secret), parts[0]);
        for (int i = 1; i < parts.length; i++) {
            key = hmac(key, parts[i]);
        }
        return HEX.formatHex(hmac(key, toSign));
    }

    /** The scope of a signature: date/region/service/aws4_request. */
    static String scope(String amzDate, String region, String service) {
        return amzDate.substring(0, 8) + "/" + region + "/" + service + "/aws4_request";
    }

    /**
     * The headers that sign a request from a client (X-Amz-Date and Authorization; Host and the
     * body's hash are signed too): what the spice CLI adds to its requests.
     */
    public static Map<String, String> sign(ApiCredentials.Key key, String region, String method, String host,
            String rawPath, String rawQuery, byte[] body, Instant now) {
        String amzDate = AMZ_DATE.format(now);
        SortedMap<String, String> signed = new TreeMap<>(Map.of("host", host, "x-amz-date", amzDate));
        String scope = scope(amzDate, region, "lambda");
        String signature = signature(key.secret(), amzDate, scope,
                canonicalRequest(method, rawPath, rawQuery, signed, sha256Hex(body)));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-Amz-Date", amzDate);
        headers.put("Authorization", ALGORITHM + " Credential=" + key.id() + "/" + scope + ", SignedHeaders="
                + String.join(";", signed.keySet()) + ", Signature=" + signature);
        return headers;
    }

    static String canonicalUri(String rawPath) {
        if (rawPath == null || rawPath.isEmpty()) {
            return "/";
        }
        List<String> kept = new ArrayList<>();          // dot segments removed, as the SDKs normalize
        String[] segments = rawPath.split("/", -1);
        for (int i = 1; i < segments.length; i++) {
            String s = segments[i];
            if (s.equals("..")) {
                if (!kept.isEmpty()) {
                    kept.removeLast();
                }
            } else if (!s.equals(".")) {
                kept.add(s);
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String s : kept) {
            sb.append('/').append(encode(s));           // the second encoding: '%' becomes %25
        }
        return sb.isEmpty() ? "/" : sb.toString();
    }

    static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        List<String[]> pairs = new ArrayList<>();
        for (String p : rawQuery.split("&")) {
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            String k = eq < 0 ? p : p.substring(0, eq), v = eq < 0 ? "" : p.substring(eq + 1);
            pairs.add(new String[] {encode(decode(k)), encode(decode(v))});
        }
        pairs.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
        List<String> joined = pairs.stream().map(p -> p[0] + "=" + p[1]).toList();
        return String.join("&", joined);
    }

    /** A header's values as signed: each trimmed, runs of spaces made one, joined with commas. */
    static String canonicalValue(List<String> values) {
        return String.join(",", values.stream().map(v -> v.strip().replaceAll(" +", " ")).toList());
    }

    /** AWS's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ as %XX. */
    static String encode(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : utf8(s)) {
            char c = (char) (b & 0xff);
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || "-_.~".indexOf(c) >= 0) {
                sb.append(c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }

    /** Percent-decoding only ('+' stays '+', as the signers send it encoded when they mean it). */
    static String decode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); ) {
            int hi = i + 2 < s.length() && s.charAt(i) == '%' ? Character.digit(s.charAt(i + 1), 16) : -1;
            int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
            if (lo >= 0) {
                out.write(hi << 4 | lo);
                i += 3;
            } else {
                int cp = s.codePointAt(i);
                out.writeBytes(utf8(new String(Character.toChars(cp))));
                i += Character.charCount(cp);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    public static String sha256Hex(byte[] data) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(utf8(data));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
