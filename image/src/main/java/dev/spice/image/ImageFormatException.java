package dev.spice.image;

/** The file is not a valid Spice image of a version this build reads. */
public final class ImageFormatException extends RuntimeException {
    public ImageFormatException(String message) {
        super(message);
    }
}
