package dev.spice.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The release runs once, after the close and after the last user, and no user enters after the close. */
class UseCountTest {
    private final List<String> events = new ArrayList<>();
    private final UseCount uses = new UseCount(() -> events.add("release"));

    @Test
    void unusedReleasesAtTheCloseAfterItsFirstStep() {
        assertThat(uses.close(() -> events.add("first"))).isTrue();
        assertThat(events).containsExactly("first", "release");
        assertThat(uses.close(() -> events.add("again"))).isFalse();
        assertThat(uses.enter()).isFalse();
        assertThat(events).containsExactly("first", "release");
    }

    @Test
    void theLastUserToLeaveReleases() {
        assertThat(uses.enter()).isTrue();
        assertThat(uses.enter()).isTrue();
        uses.close(() -> events.add("first"));
        assertThat(events).containsExactly("first");
        uses.leave();
        assertThat(events).containsExactly("first");
        uses.leave();
        assertThat(events).containsExactly("first", "release");
    }

    @Test
    void usersComingAndGoingBeforeTheCloseReleaseNothing() {
        for (int i = 0; i < 3; i++) {
            assertThat(uses.enter()).isTrue();
            uses.leave();
        }
        assertThat(events).isEmpty();
        uses.close(() -> { });
        assertThat(events).containsExactly("release");
    }
}
