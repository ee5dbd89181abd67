package dev.spice.api;

/** Ends a request early with the error response it carries. */
final class ApiException extends RuntimeException {
    private final transient ApiResponse response;

    ApiException(ApiResponse response) {
        super(null, null, false, false);
        this.response = response;
    }

    ApiResponse response() {
        return response;
    }
}
