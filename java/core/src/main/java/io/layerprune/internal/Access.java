package io.layerprune.internal;

import io.layerprune.bindings.LayerpruneNative;

/**
 * The package-private operations of the public classes that the library's other packages need,
 * without making them public API (the pattern of the JDK's {@code SharedSecrets}): each owning
 * class registers its implementation when it is initialised; callers get it here.
 *
 * <p>The interfaces name only types of this package's level or below (the bindings, plain
 * {@code Object}), so that no package cycle arises: {@code io.layerprune.model} registers
 * {@link Models}, {@code io.layerprune.train} registers {@link Trainers}, and
 * {@code io.layerprune.train} and {@code io.layerprune.checkpoint} call them. The owning
 * implementation casts the {@code Object} arguments back to its own types.
 */
public final class Access {
    private Access() {}

    /** What {@code io.layerprune.model.Model} lends. */
    public interface Models {
        /** A Model for a restored native model (checkpoint): its size at creation comes from the file. */
        Object restore(LayerpruneNative.Model handle, Object spec, long initialParams, double initialFlopsPerSample);

        /** Records the last training step (sections pruned by {@code determinize} report it). */
        void lastStep(Object model, long step);

        /** Closing the model closes {@code dependent} first (its trainers). */
        void own(Object model, AutoCloseable dependent);

        /** Undoes {@link #own} (and {@link #bindTrainer} of that dependent). */
        void disown(Object model, AutoCloseable dependent);

        /**
         * Makes {@code trainer} the one trainer that trains {@code model} until it is disowned;
         * returns the trainer already bound, or null if this one now is.
         */
        Object bindTrainer(Object model, Object trainer);

        /** Undoes {@link #bindTrainer} (a fit refused before it created the native trainer). */
        void unbindTrainer(Object model, Object trainer);
    }

    /** What {@code io.layerprune.train} lends: the training progress stored in checkpoints. */
    public interface Trainers {
        /** The progress of a saved run from its JSON tree (the checkpoint metadata's {@code progress}). */
        Object progress(Object tree);

        /** A Trainer of {@code model} that continues the saved run. */
        Object restore(Object model, LayerpruneNative.Trainer handle, Object progress);

        /** The saved run's TrainConfig. */
        Object config(Object progress);

        int epochsDone(Object progress);

        boolean finished(Object progress);
    }

    private static volatile Models models;
    private static volatile Trainers trainers;

    public static void register(Models m) {
        models = m;
    }

    public static void register(Trainers t) {
        trainers = t;
    }

    public static Models models() {
        if (models == null) {
            initialise("io.layerprune.model.Model");
        }
        return models;
    }

    public static Trainers trainers() {
        if (trainers == null) {
            initialise("io.layerprune.train.Trainer");
        }
        return trainers;
    }

    /** Runs the static initialiser of the class that registers an implementation. */
    private static void initialise(String className) {
        try {
            Class.forName(className, true, Access.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("layerprune is incomplete: " + className + " is missing", e);
        }
    }
}
