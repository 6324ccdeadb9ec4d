/**
 * layerprune: training deep residual networks while pruning their useless layers (concurrent
 * training and layer pruning, Guenter &amp; Sideris 2024). The math contract is
 * {@code design/ALGORITHM.md}.
 *
 * <p>Typical use:
 *
 * <pre>{@code
 * Layerprune.setThreads(0);
 * try (IdxDataset.Splits data = IdxDataset.load(Path.of("/usr/share/datasets/fashion-mnist"));
 *      Model model = ResidualMlp.builder().inputSize(784).width(256).sections(12).classes(10).seed(1).build();
 *      Trainer trainer = Trainer.create(model, TrainConfig.defaults())) {
 *     TrainingResult r = trainer.fit(data.train(), data.test());
 *     System.out.println(r.testAccuracy() + " with " + r.sectionsKept() + "/" + r.sectionsTotal() + " sections");
 * }
 * }</pre>
 *
 * <p>{@link io.layerprune.data.Dataset}, {@link io.layerprune.model.Model} and {@link io.layerprune.train.Trainer}
 * own native memory: close them (closing a model closes its trainers); any use after close throws
 * {@link java.lang.IllegalStateException}. None of them is thread-safe. Native failures arrive as
 * {@link io.layerprune.LayerpruneException} with the core's message; bad arguments are caught
 * first, as {@link java.lang.IllegalArgumentException} naming the parameter and its value.
 */
package io.layerprune;
