package io.layerprune.report;

import io.layerprune.model.ModelSpec;
import io.layerprune.model.SectionState;
import io.layerprune.train.EpochEvent;
import io.layerprune.train.PruneEvent;
import io.layerprune.train.StepEvent;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.TrainingListener;
import io.layerprune.train.TrainingResult;
import io.layerprune.train.TrainingStart;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link TrainingListener} that builds the run's {@link Report}. If given a file, it rewrites
 * it (atomically) after every epoch and at the end, so an interrupted run leaves a partial report
 * whose {@code final} is null.
 */
public final class ReportCollector implements TrainingListener {
    private final ModelSpec spec;
    private final TrainConfig config;
    private final int threads;
    private final String version;
    private final Report.DatasetInfo dataset;
    private String created;
    private final Path file;
    private final List<Report.Epoch> epochs = new ArrayList<>();
    private final List<Report.Prune> prunes = new ArrayList<>();
    private TrainingStart start;
    private List<Report.Section> sections = List.of();
    private Report.Final result;
    /** Sum of the steps' unpruned-equivalent FLOPs, for the epochs' cumulative_training_flops_unpruned. */
    private double flopsUnpruned;

    /**
     * @param spec the model's architecture
     * @param config the training configuration
     * @param threads native threads in use
     * @param version library version for the report
     * @param datasetName e.g. "fashion-mnist"
     * @param trainSamples training samples used
     * @param validationSamples validation samples used (0: none)
     * @param testSamples test samples used
     * @param file where to write after each epoch and at the end, or null to only collect
     */
    public ReportCollector(ModelSpec spec, TrainConfig config, int threads, String version, String datasetName,
            long trainSamples, long validationSamples, long testSamples, Path file) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.config = Objects.requireNonNull(config, "config");
        this.threads = threads;
        this.version = version;
        this.dataset = new Report.DatasetInfo(datasetName, trainSamples, testSamples, validationSamples);
        this.created = OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        this.file = file;
    }

    /** A collector of a run without a validation set. */
    public ReportCollector(ModelSpec spec, TrainConfig config, int threads, String version, String datasetName,
            long trainSamples, long testSamples, Path file) {
        this(spec, config, threads, version, datasetName, trainSamples, 0, testSamples, file);
    }

    @Override
    public void onStart(TrainingStart start) {
        this.start = start;
        write();
    }

    @Override
    public void onStep(StepEvent s) {
        flopsUnpruned += s.stepFlopsUnpruned();
    }

    @Override
    public void onEpoch(EpochEvent e) {
        epochs.add(new Report.Epoch(e.epoch(), e.step(), num(e.loss()), num(e.trainAccuracy()),
                num(e.validationLossExpected()), num(e.validationAccuracyExpected()), e.theta().clone(),
                e.tau().clone(), e.liveSections(), e.params(), e.flopsPerSample(), e.cumulativeTrainingFlops(),
                e.seconds(), flopsUnpruned, num(e.validationLossDeterministic()),
                num(e.validationAccuracyDeterministic()),
                e.cumulativeEstimatorFlops()));
        write();
    }

    @Override
    public void onPrune(PruneEvent p) {
        prunes.add(new Report.Prune(p.section(), p.step(), p.epoch(), p.atFinish()));
    }

    @Override
    public void onFinish(TrainingResult r) {
        List<Report.Section> list = new ArrayList<>();
        for (SectionState s : r.sections()) {
            double tau = s.index() < r.sectionTau().length ? r.sectionTau()[s.index()] : Double.NaN;
            list.add(new Report.Section(s.index(), s.weights(), num(tau), num(s.theta()),
                    s.pruned() ? Long.valueOf(s.prunedAtStep()) : null));
        }
        sections = List.copyOf(list);
        result = new Report.Final(num(r.testAccuracy()), num(r.testAccuracyExpected()), num(r.testLoss()),
                num(r.testLossExpected()), r.sectionsKept(), r.sectionsTotal(), r.params(), r.paramsInitial(),
                r.flopsPerSample(), r.flopsPerSampleInitial(), r.cumulativeTrainingFlops(),
                r.cumulativeTrainingFlopsUnpruned(), num(r.trainingFlopsRatio()), r.seconds(),
                num(r.samplesPerSecond()), r.steps(), r.samplesTrained(), r.cumulativeEstimatorFlops(),
                r.evaluationSeconds(), num(r.validationAccuracy()), num(r.validationAccuracyExpected()),
                num(r.validationLoss()), num(r.validationLossExpected()), r.stopped());
        write();
    }

    /**
     * Continues a report collected by an earlier, interrupted run of the same training (a resumed
     * checkpoint): its creation time, epochs and prune events are taken over, so the final report
     * equals the uninterrupted run's (timings aside).
     */
    public void restore(Report partial) {
        Objects.requireNonNull(partial, "partial");
        created = partial.created();
        epochs.clear();
        epochs.addAll(partial.epochs());
        prunes.clear();
        prunes.addAll(partial.pruneEvents());
        // The unpruned-equivalent FLOPs are summed here from the steps: continue from the saved sum.
        Report.Epoch last = epochs.isEmpty() ? null : epochs.get(epochs.size() - 1);
        flopsUnpruned = last != null && last.cumulativeTrainingFlopsUnpruned() != null
                ? last.cumulativeTrainingFlopsUnpruned() : 0.0;
    }

    /** The report as collected so far. */
    public Report report() {
        Report.ModelSpec model = new Report.ModelSpec(spec.type(), spec.inputSize(), spec.width(), spec.sections(),
                spec.classes(), spec.seed());
        Double lambda = start != null ? Double.valueOf(start.lambda())
                : config.tau() == null ? Double.valueOf(config.lambda()) : null;
        Report.Config cfg = new Report.Config(model, config.estimator().cliName(), config.estimatorFraction(), lambda,
                config.tau(), start != null ? Long.valueOf(start.trainSize()) : null, config.s2(), config.theta0(),
                config.etaTheta(), config.patience(), config.thetaMin(), config.etaW(), config.momentum(),
                config.clipNorm(), config.weightDecay(), config.schedule().cliName(),
                start != null ? Long.valueOf(start.totalSteps()) : null, config.stepEvery(), config.stepGamma(),
                config.thetaSchedule().cliName(), config.thetaStepEvery(), config.thetaStepGamma(),
                config.thetaFreezeSteps(), config.augmentPad(), config.augmentFlip(), config.noGates(), config.batchSize(), config.epochs(),
                config.seed(), threads, config.estimatorBudget(), config.pruningRule().cliName(),
                config.evidenceHorizon(), config.evidenceZ(), config.priorScaling().cliName(),
                config.priorNorm().cliName(), config.precision().cliName());
        return new Report(Report.SCHEMA, version, created, cfg, dataset, sections, List.copyOf(epochs),
                List.copyOf(prunes), result);
    }

    /** Writes the report to {@code path} atomically. */
    public void writeTo(Path path) {
        ReportWriter.write(report(), path);
    }

    private void write() {
        if (file != null) {
            writeTo(file);
        }
    }

    private static Double num(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
