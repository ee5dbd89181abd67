package dev.spice.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RouterTest {
    private final Router.Endpoint a = r -> ApiResponse.empty(200);
    private final Router.Endpoint b = r -> ApiResponse.empty(201);
    private final Router router = new Router()
            .add("POST", "/2015-03-31/functions/{name}/invocations", JsonErrors.Style.AWS, a)
            .add("GET", "/functions", JsonErrors.Style.SPICE, a)
            .add("DELETE", "/functions/{name}", JsonErrors.Style.SPICE, b);

    @Test
    void bindsAndDecodesPlaceholders() {
        var m = router.match("POST", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Ahello/invocations");

        assertThat(m).isInstanceOfSatisfying(Router.Found.class, f -> {
            assertThat(f.endpoint()).isSameAs(a);
            assertThat(f.style()).isEqualTo(JsonErrors.Style.AWS);
            assertThat(f.params()).containsEntry("name", "arn:aws:lambda:us-east-1:1:function:hello");
        });
    }

    @Test
    void ignoresTrailingSlashes() {
        assertThat(router.match("GET", "/functions/")).isInstanceOf(Router.Found.class);
    }

    @Test
    void tellsUnknownPathsFromWrongMethods() {
        assertThat(router.match("GET", "/other")).isInstanceOf(Router.NotFound.class);
        assertThat(router.match("GET", "/functions/a/b")).isInstanceOf(Router.NotFound.class);
        assertThat(router.match("PUT", "/functions/x")).isInstanceOfSatisfying(Router.MethodNotAllowed.class,
                m -> assertThat(m.allowed()).containsExactly("DELETE"));
    }

    @Test
    void aPlusIsAPlus() {
        assertThat(router.match("DELETE", "/functions/a+b")).isInstanceOfSatisfying(Router.Found.class,
                f -> assertThat(f.params()).containsEntry("name", "a+b"));
    }
}
