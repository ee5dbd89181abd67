package dev.spice.runtime;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Lambda's Java error shape: errorMessage, errorType (the exception's class name), stackTrace
 * ("class.method(File.java:line)" per frame) and cause, the same again for the exception's cause.
 * Frames below the handler (reflection and the shim) are noise to the function's author and are
 * left out.
 */
final class ErrorObject {
    private ErrorObject() {}

    static ObjectNode of(Throwable t) {
        return of(t, new IdentityHashMap<>());
    }

    /** An error of the runtime itself, with no stack of the function's. */
    static ObjectNode runtime(String type, String message) {
        ObjectNode error = Json.MAPPER.createObjectNode();
        error.put("errorMessage", message).put("errorType", type).putArray("stackTrace");
        return error;
    }

    private static ObjectNode of(Throwable t, Map<Throwable, Boolean> seen) {
        seen.put(t, true);
        ObjectNode error = Json.MAPPER.createObjectNode();
        error.put("errorMessage", t.getMessage() == null ? t.toString() : t.getMessage());
        error.put("errorType", t.getClass().getName());
        ArrayNode frames = error.putArray("stackTrace");
        for (StackTraceElement f : t.getStackTrace()) {
            if (belowHandler(f.getClassName())) {
                break;
            }
            frames.add(f.getClassName() + "." + f.getMethodName() + "(" + location(f) + ")");
        }
        Throwable cause = t.getCause();
        if (cause != null && !seen.containsKey(cause)) { // a cycle of causes is possible
            error.set("cause", of(cause, seen));
        }
        return error;
    }

    private static boolean belowHandler(String className) {
        return className.startsWith("jdk.internal.reflect.") || className.equals("java.lang.reflect.Method")
                || className.startsWith("dev.spice.runtime.");
    }

    private static String location(StackTraceElement f) {
        if (f.isNativeMethod()) {
            return "Native Method";
        }
        if (f.getFileName() == null) {
            return "Unknown Source";
        }
        return f.getLineNumber() >= 0 ? f.getFileName() + ":" + f.getLineNumber() : f.getFileName();
    }
}
