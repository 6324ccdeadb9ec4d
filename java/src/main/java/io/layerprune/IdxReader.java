package io.layerprune;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads MNIST-format IDX files of unsigned bytes: images ({@code idx3}, magic 0x00000803: count,
 * rows, columns) and labels ({@code idx1}, magic 0x00000801: count). Files may be gzip-compressed
 * or plain; that is detected from the first two bytes, not from the name.
 *
 * <p>Every problem is a {@link DataException} naming the file and saying what was expected and
 * what was found: a wrong magic number, impossible dimensions, a file that ends early or has data
 * after its last record.
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
        try (InputStream in = open(file)) {
            int magic = readInt(in, file, "the header");
            checkMagic(file, magic, IMAGES_MAGIC, "images: unsigned bytes, 3 dimensions");
            int count = readInt(in, file, "the header");
            int rows = readInt(in, file, "the header");
            int cols = readInt(in, file, "the header");
            if (count < 0 || rows <= 0 || cols <= 0) {
                throw new DataException(file + ": invalid dimensions " + count + " x " + rows + " x " + cols
                        + " (count >= 0, rows > 0 and columns > 0 expected)");
            }
            // rows * cols fits a long; count * rows * cols may not (it used to wrap around to a
            // negative size and end in NegativeArraySizeException), so bound the image size first.
            long perImage = (long) rows * cols;
            if (perImage > Integer.MAX_VALUE - 16) {
                throw new DataException(file + ": images of " + rows + "x" + cols + " are too large to load ("
                        + perImage + " bytes each)");
            }
            long total = count * perImage;
            if (total > Integer.MAX_VALUE - 16) {
                throw new DataException(file + ": " + count + " images of " + rows + "x" + cols
                        + " are too many to load (" + total + " bytes)");
            }
            byte[] pixels = readUpTo(in, (int) total);
            int found = pixels.length;
            if (found < total) {
                throw new DataException(file + " is truncated: expected " + total + " pixel bytes (" + count
                        + " images of " + rows + "x" + cols + "), found " + found);
            }
            checkEnd(in, file, count + " images");
            return new Images(count, rows, cols, pixels);
        } catch (IOException e) {
            throw ioFailure(file, e);
        }
    }

    /** Reads an idx1-ubyte file (gzip or plain); labels are unsigned, 0..255. */
    public static byte[] readLabels(Path file) {
        try (InputStream in = open(file)) {
            int magic = readInt(in, file, "the header");
            checkMagic(file, magic, LABELS_MAGIC, "labels: unsigned bytes, 1 dimension");
            int count = readInt(in, file, "the header");
            if (count < 0 || count > Integer.MAX_VALUE - 16) {
                throw new DataException(file + ": invalid label count " + count);
            }
            byte[] labels = readUpTo(in, count);
            int found = labels.length;
            if (found < count) {
                throw new DataException(file + " is truncated: expected " + count + " labels, found " + found);
            }
            checkEnd(in, file, count + " labels");
            return labels;
        } catch (IOException e) {
            throw ioFailure(file, e);
        }
    }

    /** Opens a file, transparently decompressing it if it starts with the gzip magic 1f 8b. */
    static InputStream open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        try {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                return new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
            }
            return raw;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    private static void checkMagic(Path file, int magic, int expected, String what) {
        if (magic != expected) {
            throw new DataException(String.format("%s: bad magic number 0x%08x, expected 0x%08x (%s)", file, magic,
                    expected, what));
        }
    }

    private static int readInt(InputStream in, Path file, String where) throws IOException {
        byte[] b = new byte[4];
        int n = readFully(in, b);
        if (n < 4) {
            throw new DataException(file + " is truncated: it ends inside " + where);
        }
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    /**
     * Reads {@code total} bytes, or fewer if the stream ends first (the returned array is then
     * shorter). The buffer grows with the data that actually arrives, so a corrupt header that
     * announces gigabytes costs no more memory than the file holds (it used to allocate the
     * announced size up front: a flipped bit in a count could demand 1-2 GB and end in
     * OutOfMemoryError instead of a DataException).
     */
    private static byte[] readUpTo(InputStream in, int total) throws IOException {
        byte[] buf = new byte[Math.min(total, 1 << 20)];
        int off = 0;
        try {
            while (off < total) {
                if (off == buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(total, 2L * buf.length));
                }
                int n = in.read(buf, off, buf.length - off);
                if (n < 0) {
                    break;
                }
                off += n;
            }
        } catch (EOFException e) {
            // A truncated gzip stream: report how far it got, like a short plain file.
        }
        return off == buf.length ? buf : Arrays.copyOf(buf, off);
    }

    /** Reads until the buffer is full or the stream ends; returns the bytes read. */
    private static int readFully(InputStream in, byte[] buf) throws IOException {
        int off = 0;
        try {
            while (off < buf.length) {
                int n = in.read(buf, off, buf.length - off);
                if (n < 0) {
                    break;
                }
                off += n;
            }
        } catch (EOFException e) {
            // A truncated gzip stream: report how far it got, like a short plain file.
        }
        return off;
    }

    private static void checkEnd(InputStream in, Path file, String what) throws IOException {
        int extra;
        try {
            extra = in.read();
        } catch (EOFException e) {
            throw new DataException(file + " is truncated: its compressed stream ends early (after " + what + ")");
        }
        if (extra >= 0) {
            throw new DataException(file + ": unexpected data after the " + what + " its header announces");
        }
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
