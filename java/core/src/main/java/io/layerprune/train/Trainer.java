package io.layerprune.train;

import io.layerprune.EvalMode;
import io.layerprune.LayerpruneException;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.data.Dataset;
import io.layerprune.data.Normalizer;
import io.layerprune.internal.Access;
import io.layerprune.internal.Checks;
import io.layerprune.internal.CheckpointMetadata;
import io.layerprune.internal.Native;
import io.layerprune.internal.NativeHandle;
import io.layerprune.model.Evaluation;
import io.layerprune.model.Model;
import io.layerprune.model.SectionState;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Trains a {@link Model} with concurrent layer pruning (ALGORITHM.md sections 2-5).
 *
 * <pre>{@code
 * try (Model model = ResidualMlp.builder().inputSize(784).classes(10).build();
 *      Trainer trainer = Trainer.create(model, TrainConfig.defaults())) {
 *     TrainingResult r = trainer.fit(split.train(), split.validation(), listener);
 * }
 * }</pre>
 *
 * <p>The native trainer (optimizer state, estimator, RNG) is created when {@link #fit} starts,
 * because N (the training-set size) enters lambda (when tau is given) and the schedule horizon.
 * {@code fit} runs once per trainer; closing the model closes its trainers.
 *
 * <p>Threads: {@code fit} runs on one thread at a time (a second concurrent {@code fit} throws
 * {@link IllegalStateException}), and a model has one trainer at a time (a second trainer's
 * {@code fit} throws too). {@link #stop()} and the read-only accessors may be called from any
 * thread, and the model may be used for inference by other threads while it trains.
 */
public final class Trainer extends NativeHandle {
    private final Model model;
    private final TrainConfig config;
    private LayerpruneNative.Trainer handle;
    private boolean fitted;
    private final java.util.concurrent.atomic.AtomicBoolean fitStarted = new java.util.concurrent.atomic.AtomicBoolean();
    private double lambda = Double.NaN;
    // Progress of fit, kept in fields so save() can record it mid-run (and a restored trainer
    // can continue it).
    private CheckpointState.Progress restored;
    private TrainingStart start;
    private int epochsDone;
    private long samples;
    private double secondsBefore;
    private long t0;
    private volatile boolean running;
    private volatile boolean inFit;  // a fit call is under way (on some thread)
    private boolean finished;
    private long trainSamples;
    private long evaluationNanos;
    private volatile boolean stopRequested;
    private io.layerprune.runtime.Distributed world;  // data-parallel job, or null
    private final List<EpochEvent> epochs = new ArrayList<>();
    private final List<PruneEvent> pruneEvents = new ArrayList<>();

    static {
        Access.register(new Access.Trainers() {
            @Override
            public Object progress(Object tree) {
                return CheckpointState.fromTree(tree);
            }

            @Override
            public Object restore(Object model, LayerpruneNative.Trainer handle, Object progress) {
                CheckpointState.Progress p = (CheckpointState.Progress) progress;
                return restored((Model) model, p.config().toConfig(), handle, p);
            }

            @Override
            public Object config(Object progress) {
                return ((CheckpointState.Progress) progress).config().toConfig();
            }

            @Override
            public int epochsDone(Object progress) {
                return ((CheckpointState.Progress) progress).epochsDone();
            }

            @Override
            public boolean finished(Object progress) {
                return ((CheckpointState.Progress) progress).finished();
            }
        });
    }

    private Trainer(Model model, TrainConfig config) {
        super("trainer");
        this.model = model;
        this.config = config;
    }

    /**
     * Binds a trainer to a model with the training defaults of the model's architecture family
     * ({@link TrainConfig#defaultsFor(Model)}: a ResNet gets learning rate 0.1, weight decay and
     * augmentation, an MLP {@link TrainConfig#defaults()}).
     */
    public static Trainer create(Model model) {
        Objects.requireNonNull(model, "model");
        return create(model, TrainConfig.defaultsFor(model));
    }

    /** Binds a trainer to a model; nothing native is created until {@link #fit}. */
    public static Trainer create(Model model, TrainConfig config) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(config, "config");
        NativeHandle.requireOpen(model);
        Trainer t = new Trainer(model, config);
        Access.models().own(model, t);
        return t;
    }

    /**
     * Makes the next {@link #fit} data-parallel over {@code world} (docs/SCALING.md): every rank of
     * the job creates the same model and trainer (same configuration and seed), passes the same
     * data sets, and calls this before {@code fit}; each trains on its share of every batch of
     * {@code config.batchSize()} rows, which must be a multiple of {@code world.size()}. Every
     * rank ends with the same network; let {@code world.isLead()} write checkpoints and reports.
     * A checkpoint resumes on the same number of ranks. {@link #stop()} must be called on every rank.
     *
     * @return this trainer
     */
    public Trainer distributed(io.layerprune.runtime.Distributed world) {
        Objects.requireNonNull(world, "world");
        if (world.size() > 1 && config.batchSize() % world.size() != 0) {
            throw new IllegalArgumentException("batchSize " + config.batchSize() + " must be a multiple of the number "
                    + "of ranks (" + world.size() + "): each rank trains on an equal share of every batch");
        }
        this.world = world;
        return this;
    }

    public Model model() {
        return model;
    }

    public TrainConfig config() {
        return config;
    }

    /** lambda actually used (resolved from tau if given); NaN before {@link #fit} starts. */
    public double lambda() {
        return lambda;
    }

    /** Steps done so far. */
    public long stepsDone() {
        ensureOpen();
        return handle == null ? 0 : onModel(() -> LayerpruneNative.trainer_steps_done(handle));
    }

    /** tau_l of section {@code index} for its current weights (ALGORITHM.md section 2). */
    public double tau(int index) {
        ensureOpen();
        requireStarted();
        int n = model.sections();
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("section index must be in [0, " + n + "), got " + index);
        }
        return onModel(() -> LayerpruneNative.trainer_tau(handle, index));
    }

    /** Training FLOPs so far, estimator passes included. */
    public double cumulativeFlops() {
        ensureOpen();
        return handle == null ? 0 : onModel(() -> LayerpruneNative.trainer_cumulative_flops(handle));
    }

    /** FLOPs of the estimator's extra passes so far (part of {@link #cumulativeFlops()}). */
    public double cumulativeEstimatorFlops() {
        ensureOpen();
        return handle == null ? 0
                : onModel(() -> LayerpruneNative.trainer_cumulative_estimator_flops(handle));
    }

    /** Training FLOPs the same steps would have cost with every section on and no estimator. */
    public double cumulativeFlopsUnpruned() {
        ensureOpen();
        return handle == null ? 0
                : onModel(() -> LayerpruneNative.trainer_cumulative_flops_unpruned(handle));
    }

    /**
     * Trains for {@code config.epochs()} epochs, evaluating the expected and the deterministic network
     * on {@code validation} after each (the numbers of {@link EpochEvent}), then makes the model
     * deterministic and evaluates it on {@code validation} once more ({@link TrainingResult}'s
     * {@code validation*} numbers). The test set is not used: give it to
     * {@link #fit(Dataset, Dataset, Dataset, TrainingListener...)}, or evaluate the model on it
     * yourself afterwards, once, so that no choice is tuned on it.
     *
     * <p>If the model has no {@link Model#normalizer()} yet it takes the training set's
     * ({@link Dataset#normalizer()}), so that its {@code predict} then takes raw features; the
     * validation and test sets must be normalised the same way.
     *
     * <p>{@link #stop()} (from a listener or another thread) ends training after the current step;
     * the model is then made deterministic and evaluated as after the last epoch.
     *
     * @param train training set (its size is N unless {@link TrainConfig#trainSize()} is set)
     * @param validation held-out set for the per-epoch and final numbers (e.g. from
     *     {@link Dataset#split}), or null to skip them (they are then NaN)
     */
    public TrainingResult fit(Dataset train, Dataset validation, TrainingListener... listeners) {
        return fit(train, validation, null, listeners);
    }

    /**
     * {@link #fit(Dataset, Dataset, TrainingListener...)}, and at the very end the test set:
     * the expected network just before determinisation and the deterministic one after it
     * ({@link TrainingResult}'s {@code test*} numbers). The per-epoch numbers stay on
     * {@code validation}.
     *
     * @param test test set, or null (the {@code test*} numbers are then NaN)
     */
    public TrainingResult fit(Dataset train, Dataset validation, Dataset test, TrainingListener... listeners) {
        ensureOpen();
        NativeHandle.requireOpen(model);
        Objects.requireNonNull(train, "train");
        List<TrainingListener> ls = new ArrayList<>();
        if (listeners != null) {
            for (TrainingListener l : listeners) {
                if (l != null) {
                    ls.add(l);
                }
            }
        }
        if (!fitStarted.compareAndSet(false, true)) {
            throw new IllegalStateException(inFit ? "fit is already running on this trainer (in another thread)"
                    : "fit was already called on this trainer; create a new one");
        }
        inFit = true;
        Object other = Access.models().bindTrainer(model, this);
        if (other != null) {
            inFit = false;
            fitStarted.set(false);
            throw new IllegalStateException("could not train " + model + " because it already has one trainer "
                    + "(another Trainer's fit ran or runs on it); close that trainer first: a model has one "
                    + "trainer at a time");
        }
        try {
            return fitBound(train, validation, test, ls);
        } catch (RuntimeException | Error e) {
            if (!fitted) {  // refused before training began: the trainer and the model stay usable
                fitStarted.set(false);
                if (handle == null) {
                    Access.models().unbindTrainer(model, this);
                }
            }
            throw e;
        } finally {
            inFit = false;
        }
    }

    private TrainingResult fitBound(Dataset train, Dataset validation, Dataset test, List<TrainingListener> ls) {
        checkCompatible(train);
        for (Dataset d : new Dataset[] {validation, test}) {
            if (d != null) {
                checkCompatible(d);
                if (d.size() == 0) {
                    throw new IllegalArgumentException((d == validation ? "validation" : "test") + " set " + d.name()
                            + " is empty");
                }
            }
        }
        int batch = config.batchSize();
        if (train.size() < batch) {
            throw new IllegalArgumentException("training set " + train.name() + " has " + train.size()
                    + " samples, fewer than one batch of " + batch);
        }
        long stepsPerEpoch = Native.callLong(() -> LayerpruneNative.epoch_steps(train.size(), batch));
        adoptNormalizer(train, validation, test);
        int sections = model.sections();
        if (restored != null) {
            // A trainer restored from a checkpoint continues where the saved run stood.
            if (restored.finished()) {
                throw new IllegalStateException("the checkpoint's training has finished (" + restored.epochsDone()
                        + " epochs); evaluate its model instead of resuming");
            }
            if (train.size() != restored.trainSamples()) {
                throw new IllegalArgumentException("training set " + train.name() + " has " + train.size()
                        + " samples but the checkpoint was trained on " + restored.trainSamples()
                        + "; resuming needs the same data");
            }
            fitted = true;
            start = restored.start();
            lambda = start.lambda();
            epochsDone = restored.epochsDone();
            samples = restored.samples();
            secondsBefore = restored.seconds();
            trainSamples = restored.trainSamples();
            epochs.addAll(CheckpointState.copy(restored.epochs()));
            pruneEvents.addAll(CheckpointState.copy(restored.pruneEvents()));
        } else {
            fitted = true;
            List<SectionState> initial = model.sectionStates();
            long n = config.trainSize() > 0 ? config.trainSize() : train.size();
            if (config.tau() != null) {
                // lambda = 2 N tau / max_l n_l, from the core (the one copy of the formula).
                double tau = config.tau();
                lambda = NativeHandle.callWith(
                        () -> LayerpruneNative.train_config_lambda_for_tau(modelPointer(), tau, (double) n), model);
            } else {
                lambda = config.lambda();
            }
            long totalSteps = config.totalSteps() > 0 ? config.totalSteps() : config.epochs() * stepsPerEpoch;
            double resolvedLambda = lambda;
            handle = NativeHandle.callWith(() -> {
                try (LayerpruneNative.TrainConfig c = new LayerpruneNative.TrainConfig()) {
                    config.toNative(c, resolvedLambda, n, totalSteps);
                    return LayerpruneNative.trainer_create(modelPointer(), c);
                }
            }, this, model);
            if (handle == null || handle.isNull()) {
                handle = null;
                throw new LayerpruneException("trainer_create returned no trainer");
            }
            adopt(handle, LayerpruneNative::trainer_destroy, optimizerBytes(model));
            int live0 = (int) initial.stream().filter(s -> !s.pruned()).count();
            start = new TrainingStart(config.epochs(), stepsPerEpoch, batch, train.size(),
                    validation == null ? 0 : validation.size(), n, lambda, config.tau(), totalSteps, sections, live0,
                    model.params(), model.flopsPerSample(EvalMode.EXPECTED), test == null ? 0 : test.size());
            trainSamples = train.size();
        }

        if (world != null && world.size() > 1) {
            LayerpruneNative.Trainer h = handle;
            NativeHandle.callWith(() -> {
                LayerpruneNative.trainer_set_distributed(h, 1);
                return null;
            }, this, model);
        }

        boolean[] pruned = new boolean[sections];
        double[] lastTau = new double[sections];
        List<SectionState> current = model.sectionStates();
        for (int i = 0; i < sections; i++) {
            pruned[i] = current.get(i).pruned();
            lastTau[i] = tau(i);
        }
        for (TrainingListener l : ls) {
            l.onStart(start);
        }

        t0 = System.nanoTime() - (long) (secondsBefore * 1e9);
        running = true;
        boolean stopped;
        // The epochs, their batches, their loss and accuracy and what a stop means are the core's epoch
        // loop (native/src/method/epoch_loop.h, the native tools run the same one). It is driven one step
        // per call: listeners see every step between two calls, and stop() (forwarded before each call)
        // ends the run before the next step. A trainer call costs 0.1-0.2 us from Java (measured) against
        // a step's milliseconds, and holding the model one step at a time lets inference and close() on
        // other threads in between.
        try (LayerpruneNative.StepStats stats = new LayerpruneNative.StepStats();
                LayerpruneNative.EpochStats epochStats = new LayerpruneNative.EpochStats()) {
            int firstEpoch = epochsDone;
            NativeHandle.runWith(() -> LayerpruneNative.trainer_epochs_start(handle, config.epochs(), firstEpoch),
                    this, model);
            while (nextEpoch(train, epochStats)) {
                int epoch = epochStats.epoch();
                long steps = epochStats.steps();
                while (nextStep(train, stats, epochStats)) {
                    samples += batch;
                    long step = stats.step();
                    Access.models().lastStep(model, step);
                    if (stats.pruned_this_step() > 0) {
                        detectPrunes(pruned, step, epoch, false, pruneEvents, ls);
                    }
                    if (!ls.isEmpty()) {
                        StepEvent ev = new StepEvent(epoch, epochStats.steps_done() - 1, steps, step, stats.loss(),
                                stats.accuracy(), stats.lr(), stats.grad_norm(), stats.live_sections(),
                                stats.active_sections(), stats.pruned_this_step(), stats.step_flops(),
                                stats.step_flops_unpruned(), cumulativeFlops(), samples, seconds(t0));
                        for (TrainingListener l : ls) {
                            l.onStep(ev);
                        }
                    }
                }
                if (epochStats.complete() == 0) {
                    break;  // stopped mid-epoch: this epoch gets no EpochEvent and is not done
                }
                long e0 = System.nanoTime();
                Evaluation eval = validation == null ? null : model.evaluate(validation, EvalMode.EXPECTED);
                // The deterministic network differs from the expected one only while some live
                // theta is strictly between 0 and 1; otherwise the same numbers, not a second pass.
                Evaluation det = validation == null ? null
                        : hasInteriorTheta() ? model.evaluate(validation, EvalMode.DETERMINISTIC) : eval;
                evaluationNanos += System.nanoTime() - e0;
                List<SectionState> states = model.sectionStates();
                double[] theta = states.stream().mapToDouble(SectionState::theta).toArray();
                double[] tau = new double[sections];
                for (int i = 0; i < sections; i++) {
                    tau[i] = tau(i);
                }
                int live = (int) states.stream().filter(s -> !s.pruned()).count();
                boolean[] prunedNow = new boolean[sections];
                for (int i = 0; i < sections; i++) {
                    prunedNow[i] = states.get(i).pruned();
                }
                EpochEvent ev = new EpochEvent(epoch, stepsDone(), epochStats.loss(), epochStats.accuracy(),
                        eval == null ? Double.NaN : eval.loss(), eval == null ? Double.NaN : eval.accuracy(), theta,
                        tau, prunedNow, live, model.params(), model.flopsPerSample(EvalMode.EXPECTED),
                        cumulativeFlops(), seconds(t0), det == null ? Double.NaN : det.loss(),
                        det == null ? Double.NaN : det.accuracy(), cumulativeEstimatorFlops());
                epochs.add(ev);
                epochsDone = epoch;  // before the listeners: a save in onEpoch records this epoch as done
                for (TrainingListener l : ls) {
                    l.onEpoch(ev);
                }
            }
            stopped = epochStats.stopped() != 0;
        } finally {
            running = false;
        }
        double seconds = seconds(t0);
        secondsBefore = seconds;

        // The expected network as training left it, before determinisation prunes theta < 0.5
        // and fixes the rest at xi = 1 (afterwards "expected" would be a hybrid of the two).
        Evaluation exp = validation == null ? null : model.evaluate(validation, EvalMode.EXPECTED);
        Evaluation testExp = test == null ? null : model.evaluate(test, EvalMode.EXPECTED);
        NativeHandle.runWith(() -> LayerpruneNative.trainer_finish(handle), this, model);
        finished = true;
        long finalStep = stepsDone();
        Access.models().lastStep(model, finalStep);
        detectPrunes(pruned, finalStep, Math.max(1, stopped ? epochsDone : config.epochs()), true, pruneEvents, ls);
        // The native trainer keeps a pruned section's tau from the step it was pruned at.
        for (int i = 0; i < sections; i++) {
            lastTau[i] = tau(i);
        }

        Evaluation det = validation == null ? null : model.evaluate(validation, EvalMode.DETERMINISTIC);
        Evaluation testDet = test == null ? null : model.evaluate(test, EvalMode.DETERMINISTIC);
        List<SectionState> finalStates = model.sectionStates();
        int kept = (int) finalStates.stream().filter(s -> !s.pruned()).count();
        TrainingResult result = new TrainingResult(accuracy(det), loss(det), accuracy(exp), loss(exp), kept, sections,
                model.params(), model.initialParams(), model.flopsPerSample(EvalMode.DETERMINISTIC),
                model.initialFlopsPerSample(), cumulativeFlops(), cumulativeFlopsUnpruned(), seconds,
                seconds > 0 ? samples / seconds : Double.NaN, finalStep, samples, lambda, config.tau(),
                start.trainSize(), List.copyOf(finalStates), lastTau, List.copyOf(epochs), List.copyOf(pruneEvents),
                cumulativeEstimatorFlops(), evaluationNanos / 1e9, accuracy(testDet), loss(testDet),
                accuracy(testExp), loss(testExp), stopped);
        for (TrainingListener l : ls) {
            l.onFinish(result);
        }
        return result;
    }

    /** Begins the next epoch of the core's loop; false when the run is over (every epoch done, or stopped). */
    private boolean nextEpoch(Dataset train, LayerpruneNative.EpochStats out) {
        forwardStop();
        return NativeHandle.callWith(
                () -> LayerpruneNative.trainer_epoch_begin(handle, dataPointer(train), out), this, model, train) == 1;
    }

    /** Runs the epoch's next step into {@code stats}; false when the epoch is complete or a stop was asked. */
    private boolean nextStep(Dataset train, LayerpruneNative.StepStats stats, LayerpruneNative.EpochStats out) {
        forwardStop();
        return NativeHandle.callWith(
                () -> LayerpruneNative.trainer_epoch_run(handle, dataPointer(train), 1, stats, out), this, model,
                train) == 1;
    }

    /** Hands a {@link #stop()} (of any thread) to the core's loop, which decides what it ends. */
    private void forwardStop() {
        if (stopRequested) {
            NativeHandle.runWith(() -> LayerpruneNative.trainer_epoch_stop(handle), this);
        }
    }

    private static double accuracy(Evaluation e) {
        return e == null ? Double.NaN : e.accuracy();
    }

    private static double loss(Evaluation e) {
        return e == null ? Double.NaN : e.loss();
    }

    /**
     * Asks {@link #fit} to end after the step it is in (or, between epochs, before the next one);
     * it then makes the model deterministic, evaluates it and returns its result with
     * {@link TrainingResult#stopped()} set. Callable from a {@link TrainingListener} (the usual
     * way: {@link EarlyStopping}) or from another thread; a no-op once training has ended. The
     * partial epoch gets no {@link EpochEvent} and does not count as done.
     */
    public void stop() {
        stopRequested = true;
    }

    /** Whether {@link #stop()} was called. */
    public boolean stopRequested() {
        return stopRequested;
    }

    /** The model takes the training set's normalizer; every set must then carry the model's. */
    private void adoptNormalizer(Dataset train, Dataset validation, Dataset test) {
        if (model.normalizer().isEmpty() && train.normalizer().isPresent()) {
            model.setNormalizer(train.normalizer().get());
        }
        Optional<Normalizer> n = model.normalizer();
        if (n.isEmpty()) {
            return;
        }
        for (Dataset d : new Dataset[] {train, validation, test}) {
            if (d != null && !d.normalizer().equals(n)) {
                throw new IllegalArgumentException("dataset " + d.name() + " is "
                        + d.normalizer().map(x -> "normalised with " + x).orElse("not normalised")
                        + " but the model's normalizer is " + n.get() + " (every data set of a run must be "
                        + "normalised like the training set)");
            }
        }
    }

    /**
     * Saves this training run to {@code file} (atomically: a crash during the save leaves the previous
     * file intact): the model, the optimizer, RNG and counters, the configuration and the progress of
     * {@link #fit}, so {@code Checkpoint.load} and {@code Checkpoint.resume} continue it bit-exactly
     * (same seed and threads). Callable from a {@link TrainingListener} during {@code fit} (at the end
     * of an epoch) and after it.
     *
     * @param metadata a free-form string stored with the checkpoint (e.g. JSON), or null
     * @throws IllegalStateException before {@code fit} started (use {@link Model#save} for the model alone)
     * @throws LayerpruneException when the file cannot be written
     */
    public void save(java.nio.file.Path file, String metadata) {
        ensureOpen();
        NativeHandle.requireOpen(model);
        Objects.requireNonNull(file, "file");
        if (handle == null) {
            throw new IllegalStateException("trainer has not started: call fit first, or Model.save for the model alone");
        }
        CheckpointState.Progress progress = new CheckpointState.Progress(CheckpointState.Config.of(config), start,
                epochsDone, samples, running ? seconds(t0) : secondsBefore, finished, trainSamples,
                List.copyOf(epochs), List.copyOf(pruneEvents));
        String json = CheckpointMetadata.write(model.initialParams(), model.initialFlopsPerSample(),
                CheckpointState.toTree(progress), metadata);
        NativeHandle.runWith(() -> CheckpointMetadata.save(modelPointer(), handle, json, file), this, model);
    }

    /** {@link #save(java.nio.file.Path, String)} without metadata. */
    public void save(java.nio.file.Path file) {
        save(file, null);
    }

    /** Epochs completed so far (restored ones included). */
    public int epochsDone() {
        return epochsDone;
    }

    /** A trainer restored from a checkpoint; {@link #fit} continues the saved run. */
    static Trainer restored(Model model, TrainConfig config, LayerpruneNative.Trainer handle,
            CheckpointState.Progress progress) {
        Trainer t = new Trainer(model, config);
        t.handle = handle;
        t.adopt(handle, LayerpruneNative::trainer_destroy, optimizerBytes(model));
        Access.models().bindTrainer(model, t);
        t.restored = progress;
        t.epochsDone = progress.epochsDone();
        t.finished = progress.finished();
        t.start = progress.start();
        t.lambda = progress.start() == null ? Double.NaN : progress.start().lambda();
        Access.models().own(model, t);
        return t;
    }

    private void detectPrunes(boolean[] pruned, long step, int epoch, boolean atFinish, List<PruneEvent> out,
            List<TrainingListener> ls) {
        for (int i = 0; i < pruned.length; i++) {
            if (pruned[i]) {
                continue;
            }
            SectionState s = model.section(i);
            if (s.pruned()) {
                pruned[i] = true;
                PruneEvent ev = new PruneEvent(i, s.prunedAtStep() >= 0 ? s.prunedAtStep() : step, epoch, atFinish);
                out.add(ev);
                for (TrainingListener l : ls) {
                    l.onPrune(ev);
                }
            }
        }
    }

    private void checkCompatible(Dataset data) {
        Checks.compatible(data.name(), data.dim(), data.classes(), model.inputSize(), model.classes(), "the model");
    }

    /** Whether a live section's theta is strictly between 0 and 1 (expected and deterministic networks differ). */
    private boolean hasInteriorTheta() {
        int n = model.sections();
        for (int i = 0; i < n; i++) {
            double t = model.theta(i);
            if (t > 0 && t < 1) {
                return true;
            }
        }
        return false;
    }

    /** A native call of this trainer: under its read lock and its model's (a step changes the model). */
    private <T> T onModel(java.util.function.Supplier<T> f) {
        return NativeHandle.callWith(f, this, model);
    }

    /** Gradients and momentum: about twice the model's weights (for {@link #adopt}'s pacing). */
    private static long optimizerBytes(Model model) {
        try {
            return 2 * model.nativeBytes();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private LayerpruneNative.Model modelPointer() {
        return NativeHandle.pointer(model, LayerpruneNative.Model.class);
    }

    private static LayerpruneNative.Dataset dataPointer(Dataset data) {
        return NativeHandle.pointer(data, LayerpruneNative.Dataset.class);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private void requireStarted() {
        if (handle == null) {
            throw new IllegalStateException("trainer has not started: call fit first");
        }
    }

    @Override
    protected void free() {
        Access.models().disown(model, this);
        handle = null;  // freed right after, as the adopted native object
    }

    @Override
    public String toString() {
        return "Trainer[" + config + (isClosed() ? ", closed]" : "]");
    }
}
