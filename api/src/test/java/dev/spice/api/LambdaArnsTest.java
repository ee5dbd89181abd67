package dev.spice.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LambdaArnsTest {
    @Test
    void takesTheNameOutOfEveryForm() {
        assertThat(LambdaArns.functionName("hello")).isEqualTo("hello");
        assertThat(LambdaArns.functionName("hello:$LATEST")).isEqualTo("hello");
        assertThat(LambdaArns.functionName("123456789012:function:hello")).isEqualTo("hello");
        assertThat(LambdaArns.functionName("arn:aws:lambda:eu-west-1:123456789012:function:hello")).isEqualTo("hello");
        assertThat(LambdaArns.functionName("arn:aws:lambda:eu-west-1:123456789012:function:hello:prod"))
                .isEqualTo("hello");
    }

    @Test
    void buildsArns() {
        assertThat(LambdaArns.function("hello")).isEqualTo("arn:aws:lambda:us-east-1:000000000000:function:hello");
    }
}
