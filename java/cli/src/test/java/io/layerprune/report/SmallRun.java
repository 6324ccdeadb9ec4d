package io.layerprune.report;

import io.layerprune.data.Dataset;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.PruningRule;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingResult;
import java.nio.file.Path;
import java.util.Random;

/**
 * A real training run in well under a second, for the report, CSV and plot tests: a residual MLP
 * 16 -> 16, 4 sections, on 800 generated samples whose label is the sign pattern of two features
 * (learnable with or without the sections), batch 32 (25 steps per epoch). A large lambda makes
 * some sections useless enough to be pruned within the run.
 */
public final class SmallRun {
    public static final int DIM = 16;
    public static final int SECTIONS = 4;
    public static final int SAMPLES = 800;
    public static final int BATCH = 32;

    private SmallRun() {}

    /** What {@link #train} produced. */
    public record Result(Path report, Path csv, TrainingResult training, Report collected, long csvStride) {}

    /**
     * Trains for {@code epochs} epochs and writes {@code report} and its steps CSV.
     *
     * @param maxRows row budget of the CSV
     */
    public static Result train(Path report, int epochs, double lambda, long seed, int maxRows) {
        Layerprune.setThreads(1);
        float[] x = new float[SAMPLES * DIM];
        int[] y = new int[SAMPLES];
        Random r = new Random(seed);
        for (int i = 0; i < SAMPLES; i++) {
            for (int j = 0; j < DIM; j++) {
                x[i * DIM + j] = (float) r.nextGaussian();
            }
            y[i] = (x[i * DIM] > 0 ? 1 : 0) + (x[i * DIM + 1] > 0 ? 2 : 0);
        }
        // The plain rule prunes within these few steps; the evidence rule would wait for
        // kMinEvidence estimates first (docs/ALGORITHM.md).
        TrainConfig config = TrainConfig.defaults().toBuilder().epochs(epochs).batchSize(BATCH).lambda(lambda)
                .pruningRule(PruningRule.PLAIN).etaTheta(0.2).seed(seed).build();
        Path csv = StepCsv.pathFor(report);
        try (Dataset train = Dataset.of("generated", x, y, DIM, 4);
                Model model = ResidualMlp.builder().inputSize(DIM).width(16).sections(SECTIONS).classes(4).seed(seed)
                        .build();
                Trainer trainer = Trainer.create(model, config);
                StepCsvWriter steps = new StepCsvWriter(model, trainer, csv, maxRows)) {
            ReportCollector collector = new ReportCollector(model.spec(), config, 1, Layerprune.version(), "generated",
                    SAMPLES, SAMPLES, report);
            TrainingResult result = trainer.fit(train, train, collector, steps);
            return new Result(report, csv, result, collector.report(), steps.stride());
        }
    }
}
