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
    void takesTheQualifierOutOfEveryForm() {
        assertThat(LambdaArns.qualifier("hello")).isNull();
        assertThat(LambdaArns.qualifier("hello:3")).isEqualTo("3");
        assertThat(LambdaArns.qualifier("123456789012:function:hello")).isNull();
        assertThat(LambdaArns.qualifier("123456789012:function:hello:$LATEST")).isEqualTo("$LATEST");
        assertThat(LambdaArns.qualifier("arn:aws:lambda:eu-west-1:123456789012:function:hello")).isNull();
        assertThat(LambdaArns.qualifier("arn:aws:lambda:eu-west-1:123456789012:function:hello:7")).isEqualTo("7");
    }

    @Test
    void buildsArns() {
        assertThat(LambdaArns.function("hello")).isEqualTo("arn:aws:lambda:us-east-1:000000000000:function:hello");
    }
}
