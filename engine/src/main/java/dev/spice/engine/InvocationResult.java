package dev.spice.engine;

/**
 * The outcome of one invocation. payload is the JSON the handler returned, or on a function
 * error the error object ({@code errorMessage}, {@code errorType}, {@code stackTrace}).
 * errorType is null on success. log is the invocation's log in Lambda's format (START, output,
 * END, REPORT).
 */
public record InvocationResult(String requestId, byte[] payload, String errorType, String log,
        InvocationPath path, InvocationTimings timings) {

    public boolean functionError() {
        return errorType != null;
    }
}
