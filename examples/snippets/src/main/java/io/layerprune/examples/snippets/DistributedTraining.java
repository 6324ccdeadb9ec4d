package io.layerprune.examples.snippets;

// README: distributed imports
import io.layerprune.data.Dataset;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;
import io.layerprune.runtime.Distributed;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingResult;
import java.nio.file.Path;
// END README

/** The README's data-parallel example (section "Distributed training"), compiled by the build. */
public final class DistributedTraining {
    private DistributedTraining() {}

    static TrainingResult train(ModelSpec spec, TrainConfig config, Dataset train, Dataset validation, Dataset test) {
        TrainingResult result;
        // README: distributed
        Distributed world = Distributed.init();          // MPI when started by mpirun, else one process
        try (Model model = spec.build(); Trainer trainer = Trainer.create(model, config)) {
            trainer.distributed(world);                   // before fit, on every rank: same config, seed, data
            result = trainer.fit(train, validation, test);
            if (world.isLead()) {
                trainer.save(Path.of("run.lpckpt"));      // rank 0 writes
            }
        }
        // END README
        return result;
    }
}
