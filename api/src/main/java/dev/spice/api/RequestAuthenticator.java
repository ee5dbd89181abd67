package dev.spice.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Request;

/**
 * Checks that a request is signed with Signature Version 4 by a key the server knows, answering
 * as AWS Lambda does when it is not: 403 with {@code x-amzn-ErrorType}
 * MissingAuthenticationTokenException (unsigned), IncompleteSignatureException (malformed),
 * UnrecognizedClientException (unknown key) or InvalidSignatureException (wrong signature,
 * or a date more than 15 minutes off, which stops replays of old requests).
 */
final class RequestAuthenticator {
    static final Duration MAX_SKEW = Duration.ofMinutes(15);
    private static final Pattern AUTHORIZATION = Pattern.compile(
            "AWS4-HMAC-SHA256\\s+Credential=([^/,\\s]+)/(\\d{8})/([^/,\\s]+)/([^/,\\s]+)/aws4_request\\s*,"
                    + "\\s*SignedHeaders=([a-z0-9;._-]+)\\s*,\\s*Signature=([0-9a-f]{64})\\s*");
    private static final String UNSIGNED = "UNSIGNED-PAYLOAD";

    private final ApiCredentials credentials;
    private final Clock clock;

    RequestAuthenticator(ApiCredentials credentials, Clock clock) {
        this.credentials = credentials;
        this.clock = clock;
    }

    /** Returns normally if {@code request} with {@code body} is signed by a known key; otherwise throws the 403. */
    void verify(Request request, byte[] body, JsonErrors.Style style) {
        String authorization = request.getHeaders().get("Authorization");
        if (authorization == null) {
            throw denied(style, "MissingAuthenticationTokenException", "Missing Authentication Token");
        }
        Matcher m = AUTHORIZATION.matcher(authorization);
        if (!m.matches()) {
            throw denied(style, "IncompleteSignatureException",
                    "Authorization header requires AWS4-HMAC-SHA256 Credential, SignedHeaders and Signature");
        }
        ApiCredentials.Key key = credentials.find(m.group(1));
        if (key == null) {
            throw denied(style, "UnrecognizedClientException", "The security token included in the request is invalid.");
        }
        String amzDate = request.getHeaders().get("X-Amz-Date");
        List<String> signed = List.of(m.group(5).split(";"));
        if (amzDate == null || !signed.contains("host") || !signed.contains("x-amz-date")) {
            throw denied(style, "IncompleteSignatureException", "the signature must cover the host and X-Amz-Date headers");
        }
        Instant at;
        try {
            at = SigV4.AMZ_DATE.parse(amzDate, Instant::from);
        } catch (DateTimeParseException e) {
            throw denied(style, "IncompleteSignatureException", "X-Amz-Date is not yyyyMMddTHHmmssZ: " + amzDate);
        }
        Instant now = clock.instant();
        if (Duration.between(at, now).abs().compareTo(MAX_SKEW) > 0 || !amzDate.startsWith(m.group(2))) {
            throw denied(style, "InvalidSignatureException", "Signature expired: " + amzDate + " is not within "
                    + MAX_SKEW.toMinutes() + " minutes of " + SigV4.AMZ_DATE.format(now) + " (or its credential date differs)");
        }
        SortedMap<String, String> headers = new TreeMap<>();
        for (String name : signed) {
            List<String> values = request.getHeaders().getValuesList(name);
            if (values.isEmpty()) {
                throw denied(style, "IncompleteSignatureException", "signed header " + name + " is missing");
            }
            headers.put(name, SigV4.canonicalValue(values));
        }
        String payloadHash = SigV4.sha256Hex(body);
        String declared = request.getHeaders().get("X-Amz-Content-Sha256");
        if (declared != null && !declared.equals(payloadHash) && !(declared.equals(UNSIGNED) && body.length == 0)) {
            throw denied(style, "InvalidSignatureException", "X-Amz-Content-Sha256 does not match the body");
        }
        String canonical = SigV4.canonicalRequest(request.getMethod(), request.getHttpURI().getPath(),
                request.getHttpURI().getQuery(), headers, declared != null ? declared : payloadHash);
        String expected = SigV4.signature(key.secret(), amzDate, SigV4.scope(amzDate, m.group(3), m.group(4)), canonical);
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), m.group(6).getBytes(StandardCharsets.US_ASCII))) {
            throw denied(style, "InvalidSignatureException", "The request signature we calculated does not match the "
                    + "signature you provided. Check your AWS Secret Access Key and signing method.");
        }
    }

    private static ApiException denied(JsonErrors.Style style, String type, String message) {
        return new ApiException(style.error(403, type, message));
    }
}
