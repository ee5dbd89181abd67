package dev.spice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The machine probe of the bench report: three costs that exist on every machine, in a sane order. */
class PageTableCostsTest {
    @Test
    void measuresASystemCallAFaultAndAFirstTouch() {
        PageTableCosts costs = PageTableCosts.measure();
        assertThat(costs.syscallMicros()).isPositive().isLessThan(1000);
        assertThat(costs.faultMicros()).isPositive().isLessThan(1000);
        assertThat(costs.firstTouchMicros()).isNotNegative();
        // a fault does all a first touch does (the hardware walk) and allocates and maps a page besides
        assertThat(costs.faultMicros()).isGreaterThan(costs.firstTouchMicros());
        assertThat(costs.describe()).contains("a system call", "a page fault", "populated page");
    }
}
