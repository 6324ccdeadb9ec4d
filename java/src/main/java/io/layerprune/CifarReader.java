package io.layerprune;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads one file of the CIFAR-10 binary version ({@code data_batch_1.bin} .. {@code data_batch_5.bin},
 * {@code test_batch.bin}): a sequence of 3073-byte records, each 1 label byte (0..9) followed by
 * 3072 pixel bytes, the 32x32 red plane, then green, then blue, each row-major (CHW).
 *
 * <p>Every problem is a {@link DataException} naming the file and saying what was expected and
 * what was found: a missing or empty file, a size that is not a whole number of records (which
 * record is incomplete), a label outside 0..9.
 */
public final class CifarReader {
    /** Image channels (red, green, blue). */
    public static final int CHANNELS = 3;
    /** Image height in pixels. */
    public static final int HEIGHT = 32;
    /** Image width in pixels. */
    public static final int WIDTH = 32;
    /** Pixels of one channel plane: 32 x 32. */
    public static final int PLANE = HEIGHT * WIDTH;
    /** Pixel bytes of one image: 3 x 32 x 32. */
    public static final int IMAGE_BYTES = CHANNELS * PLANE;
    /** Bytes of one record: 1 label byte + 3072 pixel bytes. */
    public static final int RECORD_BYTES = 1 + IMAGE_BYTES;
    /** Classes: labels lie in 0..9. */
    public static final int CLASSES = 10;

    private CifarReader() {}

    /**
     * Records of one file (or the first records of it).
     *
     * @param count records read
     * @param labels {@code count} labels, 0..9
     * @param pixels {@code count * 3072} bytes, record after record, each in the file's CHW order
     */
    public record Batch(Path file, int count, byte[] labels, byte[] pixels) {}

    /**
     * The number of complete records in {@code file}, after checking that the file exists, is not
     * empty and is a whole number of 3073-byte records.
     */
    public static int records(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new DataException("missing file: " + file + " does not exist (a CIFAR-10 binary folder holds "
                    + "data_batch_1.bin .. data_batch_5.bin and test_batch.bin)", e);
        } catch (IOException e) {
            throw new DataException("could not read " + file + ": " + e, e);
        }
        if (!Files.isRegularFile(file)) {
            throw new DataException(file + " is not a regular file (expected a CIFAR-10 binary batch)");
        }
        if (size == 0) {
            throw new DataException(file + " is empty: expected CIFAR-10 records of " + RECORD_BYTES
                    + " bytes (1 label byte + 3072 pixel bytes), found 0 bytes");
        }
        long complete = size / RECORD_BYTES;
        long rest = size % RECORD_BYTES;
        if (rest != 0) {
            throw new DataException(file + " is truncated or malformed: its size, " + size + " bytes, is not a "
                    + "multiple of the " + RECORD_BYTES + "-byte CIFAR-10 record (1 label byte + 3072 pixel bytes); "
                    + complete + " complete record" + (complete == 1 ? "" : "s") + ", then record " + complete
                    + " (0-based) is incomplete: " + rest + " of its " + RECORD_BYTES + " bytes");
        }
        if (complete > (Integer.MAX_VALUE - 16) / IMAGE_BYTES) {
            throw new DataException(file + ": " + complete + " records are too many to load (at most "
                    + (Integer.MAX_VALUE - 16) / IMAGE_BYTES + ")");
        }
        return (int) complete;
    }

    /** Reads every record of {@code file}. */
    public static Batch read(Path file) {
        return read(file, Integer.MAX_VALUE);
    }

    /**
     * Reads the first {@code min(maxRecords, records in the file)} records of {@code file}. The whole
     * file's size is checked first (a whole number of records), the labels of the records read are
     * checked to lie in 0..9.
     */
    public static Batch read(Path file, int maxRecords) {
        if (maxRecords < 0) {
            throw new IllegalArgumentException("maxRecords must be >= 0, got " + maxRecords);
        }
        int inFile = records(file);
        int count = Math.min(inFile, maxRecords);
        byte[] labels = new byte[count];
        byte[] pixels = new byte[count * IMAGE_BYTES];
        byte[] record = new byte[RECORD_BYTES];
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            for (int r = 0; r < count; r++) {
                int n = in.readNBytes(record, 0, RECORD_BYTES);
                if (n < RECORD_BYTES) { // the file shrank while we read it
                    throw new DataException(file + " is truncated: record " + r + " (0-based) has only " + n + " of its "
                            + RECORD_BYTES + " bytes");
                }
                int label = record[0] & 0xff;
                if (label >= CLASSES) {
                    throw new DataException(file + ": label " + label + " in record " + r + " (0-based, byte offset "
                            + (long) r * RECORD_BYTES + ") is outside 0..9 (CIFAR-10 has " + CLASSES
                            + " classes); is this the CIFAR-10 binary version (not CIFAR-100)?");
                }
                labels[r] = record[0];
                System.arraycopy(record, 1, pixels, r * IMAGE_BYTES, IMAGE_BYTES);
            }
        } catch (NoSuchFileException e) {
            throw new DataException("missing file: " + file + " does not exist", e);
        } catch (IOException e) {
            throw new DataException("could not read " + file + ": " + e, e);
        }
        return new Batch(file, count, labels, pixels);
    }
}
