package io.layerprune;

import java.util.function.LongSupplier;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Calls into the generated bindings ({@code io.layerprune.bindings.LayerpruneNative}) and turns
 * every native failure into a {@link LayerpruneException} carrying the native message. A library
 * that cannot be loaded is reported the same way.
 */
final class Native {
    private Native() {}

    static <T> T call(Supplier<T> f) {
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

    static long callLong(LongSupplier f) {
        try {
            return f.getAsLong();
        } catch (LayerpruneException e) {
            throw e;
        } catch (RuntimeException e) {
            throw translate(e);
        } catch (LinkageError e) {
            throw loadFailure(e);
        }
    }

    static int callInt(IntSupplier f) {
        try {
            return f.getAsInt();
        } catch (LayerpruneException e) {
            throw e;
        } catch (RuntimeException e) {
            throw translate(e);
        } catch (LinkageError e) {
            throw loadFailure(e);
        }
    }

    static double callDouble(DoubleSupplier f) {
        try {
            return f.getAsDouble();
        } catch (LayerpruneException e) {
            throw e;
        } catch (RuntimeException e) {
            throw translate(e);
        } catch (LinkageError e) {
            throw loadFailure(e);
        }
    }

    static void run(Runnable f) {
        try {
            f.run();
        } catch (LayerpruneException e) {
            throw e;
        } catch (RuntimeException e) {
            throw translate(e);
        } catch (LinkageError e) {
            throw loadFailure(e);
        }
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
                "could not load the layerprune native library (is the linux-x86_64 jar on the class path?): "
                        + detail,
                e);
    }
}
