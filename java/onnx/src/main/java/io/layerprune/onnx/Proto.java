package io.layerprune.onnx;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One protobuf message being written, field by field (protobuf-java's CodedOutputStream does the
 * wire format: varints, zig-zag, length prefixes). Nested messages are written to their own
 * {@code Proto} first and added as bytes, which is what a length-delimited field is.
 */
final class Proto {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CodedOutputStream out = CodedOutputStream.newInstance(bytes);

    Proto string(int field, String value) {
        return io(() -> out.writeString(field, value));
    }

    Proto int64(int field, long value) {
        return io(() -> out.writeInt64(field, value));
    }

    Proto int32(int field, int value) {
        return io(() -> out.writeInt32(field, value));
    }

    Proto float32(int field, float value) {
        return io(() -> out.writeFloat(field, value));
    }

    Proto bytes(int field, byte[] value) {
        return io(() -> out.writeByteArray(field, value));
    }

    Proto message(int field, Proto value) {
        return bytes(field, value.toByteArray());
    }

    byte[] toByteArray() {
        io(out::flush);
        return bytes.toByteArray();
    }

    private interface Write {
        void run() throws IOException;
    }

    private Proto io(Write w) {
        try {
            w.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);  // a ByteArrayOutputStream does not fail
        }
        return this;
    }
}
