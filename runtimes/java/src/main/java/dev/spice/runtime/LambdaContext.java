package dev.spice.runtime;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.nio.charset.StandardCharsets;

/** The handler's Context, with the fields of Lambda's Java context, from one invoke request. */
final class LambdaContext implements Context {
    private final String requestId;
    private final String functionName;
    private final int memoryMb;
    private final long deadlineMs;

    LambdaContext(String requestId, String functionName, int memoryMb, long deadlineMs) {
        this.requestId = requestId;
        this.functionName = functionName;
        this.memoryMb = memoryMb;
        this.deadlineMs = deadlineMs;
    }

    @Override
    public String getAwsRequestId() {
        return requestId;
    }

    @Override
    public String getLogGroupName() {
        return "/aws/lambda/" + functionName;
    }

    /** Asked per request: the process ID changes with every restore. */
    @Override
    public String getLogStreamName() {
        return "spice/" + ProcessHandle.current().pid();
    }

    @Override
    public String getFunctionName() {
        return functionName;
    }

    @Override
    public String getFunctionVersion() {
        return "$LATEST";
    }

    @Override
    public String getInvokedFunctionArn() {
        return "arn:aws:lambda:us-east-1:000000000000:function:" + functionName;
    }

    @Override
    public CognitoIdentity getIdentity() {
        return null;
    }

    @Override
    public ClientContext getClientContext() {
        return null;
    }

    @Override
    public int getRemainingTimeInMillis() {
        return (int) Math.max(0, deadlineMs - System.currentTimeMillis());
    }

    @Override
    public int getMemoryLimitInMB() {
        return memoryMb;
    }

    @Override
    public LambdaLogger getLogger() {
        return Logger.INSTANCE;
    }

    /**
     * Lambda's text-format logger: a message as it is, or "[LEVEL] message" with a level, dropped
     * below AWS_LAMBDA_LOG_LEVEL (INFO unless set, as for Python functions).
     */
    static final class Logger implements LambdaLogger {
        static final Logger INSTANCE = new Logger();
        private static final LogLevel MINIMUM = minimum(System.getenv("AWS_LAMBDA_LOG_LEVEL"));

        private static LogLevel minimum(String name) {
            try {
                return name == null ? LogLevel.INFO : LogLevel.valueOf(name.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return LogLevel.INFO;
            }
        }

        @Override
        public void log(String message) {
            log(message, LogLevel.UNDEFINED);
        }

        @Override
        public void log(byte[] message) {
            Output.log(message);
        }

        @Override
        public void log(String message, LogLevel level) {
            if (level != LogLevel.UNDEFINED && level.ordinal() < MINIMUM.ordinal()) {
                return;
            }
            String text = level == LogLevel.UNDEFINED ? message : "[" + level + "] " + message;
            Output.log(String.valueOf(text).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void log(byte[] message, LogLevel level) {
            if (level == LogLevel.UNDEFINED || level.ordinal() >= MINIMUM.ordinal()) {
                Output.log(message);
            }
        }
    }
}
