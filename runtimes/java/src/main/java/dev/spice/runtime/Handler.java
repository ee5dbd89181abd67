package dev.spice.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/** A loaded handler: takes the event as JSON and gives the result as JSON. */
sealed interface Handler {
    /** The result, or the handler's own exception; a {@link MarshalException} when a value cannot be mapped. */
    JsonNode handle(JsonNode event, Context context) throws Throwable;

    /** The event does not fit the handler's input type, or its result is not JSON. */
    final class MarshalException extends Exception {
        final String type;

        MarshalException(String type, String message, Throwable cause) {
            super(message, cause);
            this.type = type;
        }
    }

    /** Calls {@code method} on {@code target} (null if static), unwrapping the reflective wrapper. */
    private static Object call(Method method, Object target, Object... args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * A POJO handler, RequestHandler's handleRequest or any public method taking (), (I) or
     * (I, Context): the event is mapped to I and the result back to JSON with Jackson, as Lambda does.
     */
    record Pojo(Method method, Object target, JavaType input, boolean withContext) implements Handler {
        @Override
        public JsonNode handle(JsonNode event, Context context) throws Throwable {
            Object[] args;
            if (input == null) {
                args = new Object[0];
            } else {
                Object in;
                try {
                    in = Json.MAPPER.treeToValue(event, input);
                } catch (IOException | IllegalArgumentException e) {
                    throw new MarshalException("Runtime.MarshalError",
                            "An error occurred during JSON parsing of the event into " + input.toCanonical()
                                    + ": " + e.getMessage(), null);
                }
                args = withContext ? new Object[] {in, context} : new Object[] {in};
            }
            Object out = call(method, target, args);
            try {
                return out == null ? NullNode.getInstance() : Json.MAPPER.valueToTree(out);
            } catch (IllegalArgumentException e) {
                throw new MarshalException("Runtime.MarshalError", "Unable to marshal response: " + e.getMessage(), null);
            }
        }
    }

    /**
     * A stream handler, RequestStreamHandler's or any public method taking (InputStream,
     * OutputStream[, Context]): it reads the event's JSON bytes and writes the result's; the
     * runtime protocol carries JSON, so the output must be JSON (or nothing, for null).
     */
    record Stream(Method method, Object target, boolean withContext) implements Handler {
        @Override
        public JsonNode handle(JsonNode event, Context context) throws Throwable {
            ByteArrayInputStream in = new ByteArrayInputStream(Json.MAPPER.writeValueAsBytes(event));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            call(method, target, withContext ? new Object[] {in, out, context} : new Object[] {in, out});
            if (out.size() == 0) {
                return NullNode.getInstance();
            }
            try {
                return Json.MAPPER.readTree(out.toByteArray());
            } catch (IOException e) {
                throw new MarshalException("Runtime.MarshalError",
                        "the stream handler's output is not JSON (the runtime protocol carries JSON): "
                                + e.getMessage(), null);
            }
        }
    }
}
