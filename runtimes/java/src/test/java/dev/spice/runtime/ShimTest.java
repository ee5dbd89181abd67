package dev.spice.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The shim's pieces in this JVM: handler resolution, the error shape, reseeding. */
class ShimTest {
    static final Context CONTEXT = new LambdaContext("req-1", "unit", 128, System.currentTimeMillis() + 60_000);

    /** Generic input resolved through the class: strings in the event become Integers. */
    public static class Typed implements RequestHandler<Map<String, Integer>, String> {
        @Override
        public String handleRequest(Map<String, Integer> event, Context context) {
            return event.values().iterator().next().getClass().getSimpleName() + " " + (event.get("a") + 1);
        }
    }

    public static class Overloaded {
        public String go(Map<String, Object> event) {
            return "one";
        }

        public String go(Map<String, Object> event, Context context) {
            return "two " + context.getAwsRequestId();
        }

        public static String none() {
            return "none";
        }
    }

    public static class Streams implements RequestStreamHandler {
        @Override
        public void handleRequest(InputStream in, OutputStream out, Context context) throws java.io.IOException {
            out.write(("[" + new String(in.readAllBytes(), StandardCharsets.UTF_8) + "]").getBytes(StandardCharsets.UTF_8));
        }
    }

    public static class Neither {
        public String go() {
            return "x";
        }
    }

    static JsonNode run(String spec, String event) throws Throwable {
        return HandlerLoader.load(spec, ShimTest.class.getClassLoader()).handle(Json.MAPPER.readTree(event), CONTEXT);
    }

    @Test
    void handlerFormsResolveAsOnLambda() throws Throwable {
        Random seeds = new Random(17);
        for (int i = 0; i < 5; i++) {
            int a = seeds.nextInt(1_000_000);
            assertThat(run(Typed.class.getName(), "{\"a\": \"" + a + "\"}").asText()).isEqualTo("Integer " + (a + 1));
        }
        assertThat(run(Overloaded.class.getName() + "::go", "{}").asText()).isEqualTo("two req-1");
        assertThat(run(Overloaded.class.getName() + "::none", "{}").asText()).isEqualTo("none");
        assertThat(run(Streams.class.getName(), "{\"k\":[1,2]}").toString()).isEqualTo("[{\"k\":[1,2]}]");
        assertThatThrownBy(() -> run(Neither.class.getName(), "{}")).hasMessageContaining("implements neither");
        assertThatThrownBy(() -> run(Overloaded.class.getName() + "::absent", "{}"))
                .hasMessageContaining("has no public method absent");
        assertThatThrownBy(() -> run(Typed.class.getName(), "[1]")).isInstanceOf(Handler.MarshalException.class);
    }

    @Test
    void errorObjectStopsAtTheShimAndFollowsCauses() {
        IllegalStateException outer = new IllegalStateException("outer", new ArithmeticException("inner"));
        JsonNode error = ErrorObject.of(outer);
        assertThat(error.get("errorType").asText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(error.get("errorMessage").asText()).isEqualTo("outer");
        assertThat(error.get("cause").get("errorType").asText()).isEqualTo("java.lang.ArithmeticException");
        for (JsonNode frame : error.get("stackTrace")) {
            assertThat(frame.asText()).doesNotStartWith("dev.spice.runtime.").matches("[\\w.$]+\\([^)]*\\)");
        }
        RuntimeException loop = new RuntimeException("a");
        RuntimeException other = new RuntimeException("b", loop);
        loop.initCause(other);
        assertThat(ErrorObject.of(loop).get("cause").has("cause")).as("a cycle of causes ends").isFalse();
    }

    @Test
    void reseedingFollowsTheEntropyAndReachesEveryGenerator() {
        Math.random();                                    // initialise the holder, as a function would
        Random seeds = new Random(23);
        List<Double> draws = new ArrayList<>();
        byte[] entropy = new byte[32];
        for (int i = 0; i < 3; i++) {
            seeds.nextBytes(entropy);
            assertThat(Reseeder.reseed(entropy)).as("every generator reachable").isEmpty();
            double first = Math.random();
            assertThat(Reseeder.reseed(entropy)).isEmpty();
            assertThat(Math.random()).as("the same entropy gives the same sequence").isEqualTo(first);
            draws.add(first);
        }
        assertThat(draws).as("other entropy, other numbers").doesNotHaveDuplicates();
    }
}
