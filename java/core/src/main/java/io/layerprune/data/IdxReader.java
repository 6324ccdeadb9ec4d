package io.layerprune.data;

import io.layerprune.DataException;
import io.layerprune.LayerpruneException;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.internal.Native;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads MNIST-format IDX files of unsigned bytes: images ({@code idx3}, magic 0x00000803: count,
 * rows, columns) and labels ({@code idx1}, magic 0x00000801: count). Files may be gzip-compressed
 * or plain; that is detected from the first two bytes, not from the name.
 *
 * <p>Java opens the file and decompresses it; the native parser ({@code native/src/io/idx_format.cpp},
 * fuzzed by {@code native/fuzz/fuzz_idx.cpp}) checks and parses the bytes. Every problem is a
 * {@link DataException} naming the file and saying what was expected and what was found: a wrong
 * magic number, impossible dimensions, a file that ends early or has data after its last record.
 */
public final class IdxReader {
    /** Magic number of an IDX file of unsigned bytes with 3 dimensions (images). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an IDX file of unsigned bytes with 1 dimension (labels). */
    public static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {}

    /** Images of an idx3 file: {@code count} images of {@code rows x cols} bytes, row-major. */
    public record Images(int count, int rows, int cols, byte[] pixels) {
        public int pixelsPerImage() {
            return rows * cols;
        }
    }

    /** Reads an idx3-ubyte file (gzip or plain). */
    public static Images readImages(Path file) {
        Parsed p = read(file, LayerpruneNative.IDX_IMAGES, "images");
        return new Images((int) p.count, (int) p.rows, (int) p.cols, p.data);
    }

    /** Reads an idx1-ubyte file (gzip or plain); labels are unsigned, 0..255. */
    public static byte[] readLabels(Path file) {
        return read(file, LayerpruneNative.IDX_LABELS, "labels").data;
    }

    /** A checked file: the dimensions its header announces and a copy of its data. */
    private record Parsed(long count, long rows, long cols, byte[] data) {}

    /**
     * Reads a file's header, lets the native parser check it, reads at most the bytes it announces
     * plus one (to see trailing data), lets the native parser check the whole file, and copies the
     * data out. Memory grows with the bytes that actually arrive: a corrupt header that announces
     * gigabytes costs no more than the file holds (a flipped bit in a count once demanded 1-2 GB
     * up front and ended in OutOfMemoryError instead of a DataException).
     */
    private static Parsed read(Path file, int kind, String what) {
        String source = file.toString();
        try (Opened opened = open(file); LayerpruneNative.IdxInfo info = parsed(LayerpruneNative.IdxInfo::new)) {
            int headerSize = Math.toIntExact(parsed(() -> LayerpruneNative.idx_header_size(kind)));
            Bytes header = readUpTo(opened.in(), new byte[headerSize], 0, headerSize);
            parsed(() -> {
                LayerpruneNative.idx_check_header(header.buf(), header.length(), kind, source, info);
                return null;
            });
            long limit = info.header_bytes() + info.data_bytes() + 1; // <= Integer.MAX_VALUE - 63: capped natively
            // Start with what the file can hold (plain) or likely holds (gzip), so a valid file is
            // read without the buffer growing, yet a lying header is not believed.
            long hint = opened.gzip() ? 8 * opened.fileSize() + (1 << 20) : opened.fileSize();
            int capacity = (int) Math.max(headerSize, Math.min(limit, hint));
            Bytes all = header.cutShort() ? header
                    : readUpTo(opened.in(), Arrays.copyOf(header.buf(), capacity), header.length(), (int) limit);
            parsed(() -> {
                LayerpruneNative.idx_check_file(all.buf(), all.length(), kind, source, info);
                return null;
            });
            if (all.cutShort()) {
                throw new DataException("could not read " + source + " because it is truncated: its compressed stream "
                        + "ends early (after the " + info.count() + " " + what + " its header announces)");
            }
            int from = (int) info.header_bytes();
            byte[] data = Arrays.copyOfRange(all.buf(), from, from + (int) info.data_bytes());
            return new Parsed(info.count(), info.rows(), info.cols(), data);
        } catch (IOException e) {
            throw ioFailure(file, e);
        }
    }

    /**
     * Runs a native parser call; its failures (bad files) become {@link DataException}s with the
     * native message, which names the file. A library that cannot be loaded stays a
     * {@link LayerpruneException}.
     */
    static <T> T parsed(Supplier<T> f) {
        try {
            return Native.call(f);
        } catch (DataException e) {
            throw e;
        } catch (LayerpruneException e) {
            if (e.getCause() instanceof LinkageError) {
                throw e;
            }
            throw new DataException(e.getMessage(), e.getCause());
        }
    }

    /** An open file: its (possibly decompressing) stream, whether it is gzip, its size on disk. */
    record Opened(InputStream in, boolean gzip, long fileSize) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** Opens a file, transparently decompressing it if it starts with the gzip magic 1f 8b. */
    static Opened open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        try {
            long size = Files.size(file);
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                return new Opened(new GZIPInputStream(raw, 1 << 16), true, size);
            }
            return new Opened(raw, false, size);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * Bytes read into {@code buf[0, length)}; {@code cutShort}: a gzip stream ended without its
     * trailer (EOFException), which the caller reports like a short plain file.
     */
    private record Bytes(byte[] buf, int length, boolean cutShort) {}

    /**
     * Reads into {@code buf} from {@code offset} until {@code limit} bytes are there or the stream
     * ends; {@code buf} doubles (up to {@code limit}) when full.
     */
    private static Bytes readUpTo(InputStream in, byte[] buf, int offset, int limit) throws IOException {
        int off = offset;
        try {
            while (off < limit) {
                if (off == buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(limit, 2L * buf.length));
                }
                int n = in.read(buf, off, buf.length - off);
                if (n < 0) {
                    break;
                }
                off += n;
            }
        } catch (EOFException e) {
            return new Bytes(buf, off, true);
        }
        return new Bytes(buf, off, false);
    }

    private static DataException ioFailure(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new DataException(file + ": no such file", e);
        }
        if (e instanceof ZipException) {
            return new DataException(file + ": corrupt gzip data (" + e.getMessage() + ")", e);
        }
        return new DataException("could not read " + file + ": " + e, e);
    }
}
