package dev.spice.capture;

/** The process has state that an image cannot reproduce faithfully; the message names it. */
public final class CaptureRefusedException extends RuntimeException {
    public CaptureRefusedException(String message) {
        super(message);
    }
}
