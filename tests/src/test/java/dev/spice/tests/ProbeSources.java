package dev.spice.tests;

import java.util.Map;

/** The Java sources of the test functions of {@link JavaFunctionTest} and {@link JavaSnapshotTest}. */
final class ProbeSources {
    private ProbeSources() {}

    static final Map<String, String> ALL = Map.of(
            "probe/Echo.java", """
                    package probe;

                    import com.amazonaws.services.lambda.runtime.Context;
                    import com.amazonaws.services.lambda.runtime.RequestHandler;
                    import com.amazonaws.services.lambda.runtime.logging.LogLevel;
                    import java.util.LinkedHashMap;
                    import java.util.Map;

                    public class Echo implements RequestHandler<Map<String, Object>, Map<String, Object>> {
                        @Override
                        public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
                            Object word = event.get("word");
                            System.out.println("stdout " + word);
                            System.err.println("stderr " + word);
                            context.getLogger().log("logger " + word + "\\n");
                            context.getLogger().log("leveled " + word + "\\n", LogLevel.WARN);
                            context.getLogger().log("hidden " + word + "\\n", LogLevel.DEBUG);
                            Map<String, Object> out = new LinkedHashMap<>();
                            out.put("event", event);
                            out.put("requestId", context.getAwsRequestId());
                            out.put("functionName", context.getFunctionName());
                            out.put("functionVersion", context.getFunctionVersion());
                            out.put("arn", context.getInvokedFunctionArn());
                            out.put("memory", context.getMemoryLimitInMB());
                            out.put("remaining", context.getRemainingTimeInMillis());
                            out.put("logGroup", context.getLogGroupName());
                            out.put("logStream", context.getLogStreamName());
                            out.put("env", System.getenv("AWS_LAMBDA_FUNCTION_NAME"));
                            return out;
                        }
                    }
                    """,
            "probe/Point.java", """
                    package probe;

                    public class Point {
                        public int x;
                        public int y;
                        public int factor;
                        public String by;
                        public String label;
                    }
                    """,
            "probe/Geometry.java", """
                    package probe;

                    import com.amazonaws.services.lambda.runtime.Context;

                    public class Geometry {
                        public Point scale(Point p) {
                            throw new AssertionError("the overload with a Context has more parameters");
                        }

                        public Point scale(Point p, Context context) {
                            p.x *= p.factor;
                            p.y *= p.factor;
                            p.by = context.getAwsRequestId();
                            return p;
                        }
                    }
                    """,
            "probe/Upper.java", """
                    package probe;

                    import com.amazonaws.services.lambda.runtime.Context;
                    import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
                    import java.io.IOException;
                    import java.io.InputStream;
                    import java.io.OutputStream;
                    import java.nio.charset.StandardCharsets;

                    /** Reads the event's raw JSON without a JSON library. */
                    public class Upper implements RequestStreamHandler {
                        @Override
                        public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
                            String event = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                            if (event.contains("\\"raw\\"")) {
                                out.write("plain text".getBytes(StandardCharsets.UTF_8));
                                return;
                            }
                            String text = event.replaceAll("(?s).*\\"text\\"\\\\s*:\\\\s*\\"([^\\"]*)\\".*", "$1");
                            out.write(("{\\"upper\\":\\"" + text.toUpperCase() + "\\",\\"function\\":\\""
                                    + context.getFunctionName() + "\\"}").getBytes(StandardCharsets.UTF_8));
                        }
                    }
                    """,
            "probe/Fails.java", """
                    package probe;

                    import java.util.Map;

                    public class Fails {
                        public static String fail(Map<String, Boolean> event) {
                            System.out.println("about to fail");
                            if (event.get("fail")) {
                                deeper(0);
                            }
                            return "fine";
                        }

                        static void deeper(int zero) {
                            try {
                                System.out.println(1 / zero);
                            } catch (ArithmeticException e) {
                                throw new IllegalStateException("failed on purpose", e);
                            }
                        }
                    }
                    """,
            "probe/Broken.java", """
                    package probe;

                    import com.amazonaws.services.lambda.runtime.Context;
                    import com.amazonaws.services.lambda.runtime.RequestHandler;

                    public class Broken implements RequestHandler<String, String> {
                        static {
                            if (Boolean.parseBoolean("true")) {
                                throw new IllegalStateException("broken at init");
                            }
                        }

                        @Override
                        public String handleRequest(String event, Context context) {
                            return event;
                        }
                    }
                    """,
            "probe/Randomness.java", """
                    package probe;

                    import com.amazonaws.services.lambda.runtime.Context;
                    import com.amazonaws.services.lambda.runtime.RequestHandler;
                    import java.security.SecureRandom;
                    import java.util.LinkedHashMap;
                    import java.util.Map;
                    import java.util.Random;
                    import java.util.SplittableRandom;
                    import java.util.UUID;
                    import java.util.concurrent.ThreadLocalRandom;
                    import org.crac.Core;
                    import org.crac.Resource;

                    /**
                     * Draws from every generator the runtime reseeds, from one it cannot reach (kept in a
                     * field), and from one the function reseeds itself in a CRaC afterRestore hook.
                     */
                    public class Randomness implements RequestHandler<Map<String, Object>, Map<String, Object>>, Resource {
                        private static final Random UNREACHABLE = new Random(42);
                        private final Random hooked = new Random(42);
                        private int checkpoints, restores;

                        public Randomness() {
                            Core.getGlobalContext().register(this);
                            ThreadLocalRandom.current().nextInt();
                        }

                        @Override
                        public void beforeCheckpoint(org.crac.Context<? extends Resource> context) {
                            checkpoints++;
                        }

                        @Override
                        public void afterRestore(org.crac.Context<? extends Resource> context) {
                            restores++;
                            hooked.setSeed(new SecureRandom().nextLong());
                        }

                        @Override
                        public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
                            Map<String, Object> out = new LinkedHashMap<>();
                            out.put("math", Math.random());
                            out.put("threadLocal", ThreadLocalRandom.current().nextLong());
                            out.put("splittable", new SplittableRandom().nextLong());
                            out.put("uuid", UUID.randomUUID().toString());
                            out.put("hooked", hooked.nextLong());
                            out.put("unreachable", UNREACHABLE.nextLong());
                            out.put("checkpoints", checkpoints);
                            out.put("restores", restores);
                            return out;
                        }
                    }
                    """);
}
