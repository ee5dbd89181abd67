package dev.spice.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spice.engine.DeployException;
import dev.spice.engine.EngineException;
import dev.spice.engine.FunctionConflictException;
import dev.spice.engine.FunctionNotFoundException;
import dev.spice.engine.InvalidPayloadException;
import dev.spice.engine.TooManyRequestsException;

/**
 * Error responses in the two styles the API speaks. The Lambda endpoints answer as AWS does, so
 * that the SDKs raise their usual exceptions: {@code {"Type":"User","message":"...","__type":T}}
 * with the header {@code x-amzn-ErrorType: T}. The engine's own endpoints answer
 * {@code {"error":"..."}}.
 */
final class JsonErrors {
    static final String ERROR_TYPE_HEADER = "x-amzn-ErrorType";

    /** Which of the two error shapes a route uses. */
    enum Style {
        AWS, SPICE;

        ApiResponse error(int status, String awsType, String message) {
            return this == AWS ? aws(status, awsType, message) : spice(status, message);
        }
    }

    private JsonErrors() {}

    static ApiResponse aws(int status, String type, String message) {
        ObjectNode body = Json.object().put("Type", status >= 500 ? "Service" : "User").put("message", message)
                .put("__type", type);
        return ApiResponse.json(status, body).withHeader(ERROR_TYPE_HEADER, type);
    }

    static ApiResponse spice(int status, String message) {
        return ApiResponse.json(status, Json.object().put("error", message));
    }

    static ApiException functionNotFound(Style style, String name) {
        return new ApiException(style == Style.AWS
                ? aws(404, "ResourceNotFoundException", "Function not found: " + LambdaArns.function(name))
                : spice(404, "function not found: " + name));
    }

    static ApiException tooLarge(Style style, long limit) {
        return new ApiException(style.error(413, "RequestTooLargeException",
                "Request must be smaller than " + limit + " bytes for the InvokeFunction operation"));
    }

    static ApiException badRequest(Style style, String message) {
        return new ApiException(style.error(400, "InvalidParameterValueException", message));
    }

    /** The response for an exception the engine threw; its messages are one line meant for the user. */
    static ApiResponse fromEngine(Style style, EngineException e) {
        return switch (e) {
            case FunctionNotFoundException nf -> functionNotFound(style, nf.name()).response();
            case FunctionConflictException _ -> style.error(409, "ResourceConflictException", e.getMessage());
            case InvalidPayloadException _ -> style.error(400, "InvalidRequestContentException", e.getMessage());
            case TooManyRequestsException _ -> style.error(429, "TooManyRequestsException", e.getMessage());
            case DeployException _ -> style.error(400, "InvalidParameterValueException", e.getMessage());
            default -> style.error(500, "ServiceException", e.getMessage());
        };
    }

    static ApiResponse internal(Style style) {
        return style.error(500, "ServiceException", "internal error");
    }
}
