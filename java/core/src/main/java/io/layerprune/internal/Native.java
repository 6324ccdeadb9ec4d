package io.layerprune.internal;

import io.layerprune.LayerpruneException;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Calls into the generated bindings ({@code io.layerprune.bindings.LayerpruneNative}) and turns
 * every native failure into a {@link LayerpruneException} carrying the native message. The
 * libraries are loaded by {@link NativeLibrary} before the first call, which names a missing
 * library and the jar that provides it.
 */
public final class Native {
    private Native() {}

    public static <T> T call(Supplier<T> f) {
        NativeLibrary.ensureLoaded(); // the first call loads the libraries; a failure names what is missing
        try {
            return f.get();
        } catch (LayerpruneException e) {
            throw e;
        } catch (RuntimeException e) {
            throw translate(e);
        } catch (LinkageError e) {
            throw loadFailure(e);
        }
    }

    // The primitive variants box once per call; a JNI call costs far more than that.
    public static long callLong(LongSupplier f) {
        return call(f::getAsLong);
    }

    public static int callInt(IntSupplier f) {
        return call(f::getAsInt);
    }

    public static double callDouble(DoubleSupplier f) {
        return call(f::getAsDouble);
    }

    public static void run(Runnable f) {
        call(() -> {
            f.run();
            return null;
        });
    }

    private static LayerpruneException translate(RuntimeException e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            message = "native call failed (" + e.getClass().getName() + ")";
        }
        return new LayerpruneException(message, e);
    }

    private static LayerpruneException loadFailure(LinkageError e) {
        String detail = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
        return new LayerpruneException(
                "could not load the layerprune native library (is the " + io.layerprune.BuildInfo.platform()
                        + " jar on the class path?): " + detail,
                e);
    }
}
