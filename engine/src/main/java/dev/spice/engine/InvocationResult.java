package dev.spice.engine;

/**
 * The outcome of one invocation. payload is the JSON the handler returned, or on a function
 * error the error object ({@code errorMessage}, {@code errorType}, {@code stackTrace}).
 * errorType is null on success. log is the invocation's log in Lambda's format (START, output,
 * END, REPORT). instancePid is the host PID of the process that served it.
 */
public record InvocationResult(String requestId, byte[] payload, String errorType, String log,
        InvocationPath path, InvocationTimings timings, int instancePid) {

    public boolean functionError() {
        return errorType != null;
    }
}
