package dev.spice.runtime;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The channel to the engine: 4-byte big-endian lengths, then UTF-8 JSON (docs/runtime-protocol.md,
 * "Framing"). Plain file streams on the raw descriptors, no NIO: no selector or extra descriptor
 * exists while the instance waits in read(0, ...), where the snapshot is taken.
 */
final class Frames {
    static final int MAX_FRAME = 64 * 1024 * 1024;

    /** The engine sent something that is not a frame: the instance cannot go on. */
    static final class ProtocolException extends IOException {
        ProtocolException(String message) {
            super(message);
        }
    }

    private final InputStream in = new FileInputStream(FileDescriptor.in);
    private final OutputStream out;

    /** Responses go back over fd 0 (a socket), or over fd 1 when the channel is two pipes (the CRIU benchmark). */
    Frames(int responseFd) {
        out = new FileOutputStream(responseFd == 1 ? FileDescriptor.out : FileDescriptor.in);
    }

    /** The next frame's body, or null if the engine closed the channel between frames. */
    byte[] receive() throws IOException {
        byte[] header = in.readNBytes(4);
        if (header.length == 0) {
            return null;
        }
        if (header.length < 4) {
            throw new ProtocolException("end of file inside a frame header");
        }
        long length = ((header[0] & 0xffL) << 24) | ((header[1] & 0xff) << 16) | ((header[2] & 0xff) << 8)
                | (header[3] & 0xff);
        if (length > MAX_FRAME) {
            throw new ProtocolException("frame of " + length + " bytes exceeds 64 MiB");
        }
        byte[] body = in.readNBytes((int) length);
        if (body.length < length) {
            throw new ProtocolException("end of file after " + body.length + " of " + length + " bytes");
        }
        return body;
    }

    /** One write of header and body: FileOutputStream loops until all is written. */
    void send(byte[] body) throws IOException {
        byte[] frame = new byte[4 + body.length];
        frame[0] = (byte) (body.length >>> 24);
        frame[1] = (byte) (body.length >>> 16);
        frame[2] = (byte) (body.length >>> 8);
        frame[3] = (byte) body.length;
        System.arraycopy(body, 0, frame, 4, body.length);
        out.write(frame);
    }
}
