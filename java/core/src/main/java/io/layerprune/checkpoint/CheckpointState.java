package io.layerprune.checkpoint;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.layerprune.LayerpruneException;
import io.layerprune.train.EpochEvent;
import io.layerprune.train.Estimator;
import io.layerprune.train.PruneEvent;
import io.layerprune.train.Schedule;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.TrainingStart;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java side of a checkpoint, stored as JSON in the native file's {@code metadata} record:
 * the configuration as the user gave it, the progress of {@link Trainer#fit} (epochs done, the
 * events so far) so a resumed run returns the same {@link TrainingResult}, the model's size at
 * creation, and a free-form string of the caller's (the CLI puts its arguments, the data
 * normalisation and the report so far there).
 */
public final class CheckpointState {
    public static final String FORMAT = "layerprune.checkpoint-metadata/1";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** Every {@link TrainConfig} field, as the user gave it (tau unresolved). */
    public record Config(double lambda, Double tau, double s2, double theta0, double etaTheta, int patience, double thetaMin,
            double etaW, double momentum, double clipNorm, double weightDecay, String schedule, long totalSteps,
            long stepEvery, double stepGamma, String estimator, double estimatorFraction, String thetaSchedule,
            long thetaStepEvery, double thetaStepGamma, int augmentPad, long thetaFreezeSteps, boolean augmentFlip,
            boolean noGates, long trainSize, int batchSize, int epochs, long seed) {
        public static Config of(TrainConfig c) {
            return new Config(c.lambda(), c.tau(), c.s2(), c.theta0(), c.etaTheta(), c.patience(), c.thetaMin(),
                    c.etaW(), c.momentum(), c.clipNorm(), c.weightDecay(), c.schedule().cliName(), c.totalSteps(),
                    c.stepEvery(), c.stepGamma(), c.estimator().cliName(), c.estimatorFraction(),
                    c.thetaSchedule().cliName(), c.thetaStepEvery(), c.thetaStepGamma(), c.augmentPad(),
                    c.thetaFreezeSteps(), c.augmentFlip(), c.noGates(), c.trainSize(), c.batchSize(), c.epochs(),
                    c.seed());
        }

        public TrainConfig toConfig() {
            TrainConfig.Builder b = TrainConfig.builder().lambda(lambda).s2(s2).theta0(theta0).etaTheta(etaTheta)
                    .patience(patience).thetaMin(thetaMin).etaW(etaW).momentum(momentum).clipNorm(clipNorm)
                    .weightDecay(weightDecay).schedule(Schedule.fromName(schedule)).totalSteps(totalSteps)
                    .stepEvery(stepEvery).stepGamma(stepGamma).estimator(Estimator.fromName(estimator))
                    .estimatorFraction(estimatorFraction).thetaSchedule(Schedule.fromName(thetaSchedule))
                    .thetaStepEvery(thetaStepEvery).thetaStepGamma(thetaStepGamma).augmentPad(augmentPad)
                    .thetaFreezeSteps(thetaFreezeSteps).augmentFlip(augmentFlip).noGates(noGates)
                    .trainSize(trainSize).batchSize(batchSize).epochs(epochs).seed(seed);
            if (tau != null) {
                b.tau(tau);
            }
            return b.build();
        }
    }

    /** Where {@link Trainer#fit} stands; {@code epochsDone} epochs are complete. */
    public record Progress(Config config, TrainingStart start, int epochsDone, long samples, double seconds, boolean finished,
            long trainSamples, List<EpochEvent> epochs, List<PruneEvent> pruneEvents) {}

    /** The whole metadata record. */
    public record Saved(String format, long initialParams, double initialFlopsPerSample, Progress progress, String user) {}

    private CheckpointState() {}

    public static String toJson(Saved saved) {
        try {
            return MAPPER.writeValueAsString(saved);
        } catch (IOException e) {
            throw new LayerpruneException("could not serialise the checkpoint metadata: " + e.getMessage(), e);
        }
    }

    public static Saved fromJson(String json, String source) {
        Saved s;
        try {
            s = MAPPER.readValue(json, Saved.class);
        } catch (IOException e) {
            throw new LayerpruneException("could not read " + source + " because its metadata is not valid: "
                    + e.getMessage(), e);
        }
        if (s == null || !FORMAT.equals(s.format())) {
            throw new LayerpruneException("could not read " + source + " because its metadata format is '"
                    + (s == null ? null : s.format()) + "', expected '" + FORMAT + "'");
        }
        return s;
    }

    public static <T> List<T> copy(List<T> list) {
        return list == null ? new ArrayList<>() : new ArrayList<>(list);
    }
}
