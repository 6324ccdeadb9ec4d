package io.layerprune.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.TestData;
import io.layerprune.model.Model;
import io.layerprune.runtime.Layerprune;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault injection (issue 8 item 6, issue 14): a child JVM saves checkpoints in a loop ({@link SaveLoop})
 * and is killed with SIGKILL at random moments. After every kill the surviving file must be, record for
 * record, a save the child completed: the last one it reported ("saved N") or a later one that finished
 * before the kill landed. The test finds which from the thetas (consecutive saves differ in one), rebuilds
 * the model as it was at that save ({@link SaveLoop#stateAt}), and requires the file to be byte for byte
 * the checkpoint of that model (every record: weights, thetas, momentum, metadata), its loaded thetas to
 * equal the model's and its predictions on fixed inputs to be bit-identical. After the next successful
 * save of the same target no temporary file may be left (stale temporaries of dead processes are
 * removed by that save).
 *
 * <p>The child's writes are slowed down by a test-only LD_PRELOAD shim
 * (native/tests/hooks/write_delay_shim.c; the library has no fault hook): every write() to a save's
 * temporary writes at most 256 KiB, then sleeps LAYERPRUNE_FAULT_WRITE_DELAY_US.
 */
class KilledSaveTest {
    static final int MAX_KILLS = 30;
    static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(28);
    static final int MIN_KILLS = 5;

    @TempDir
    Path dir;

    @Test
    void killedSavesNeverDamageThePreviousCheckpoint() throws Exception {
        Layerprune.setThreads(1);
        Path file = dir.resolve("loop.lpckpt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Random random = new Random(42);
        Path shim = TestData.testHook("liblayerprune_write_delay_shim.so");
        int kills = 0;
        int withTemporary = 0;
        int laterSaves = 0;
        long started = System.nanoTime();
        while (kills < MAX_KILLS && System.nanoTime() - started < BUDGET_NANOS) {
            ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    SaveLoop.class.getName(), file.toString()).redirectError(ProcessBuilder.Redirect.DISCARD);
            // Writing the ~14 MB temporary then takes >= 110 ms (55 chunks of 256 KiB, 2 ms each), so a
            // kill at a random moment of a save mostly lands while the temporary is being written.
            pb.environment().put("LD_PRELOAD", shim.toString());
            pb.environment().put("LAYERPRUNE_FAULT_WRITE_DELAY_US", "2000");
            Process p = pb.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            // Wait until some saves have completed and the next has begun, then kill at a random moment
            // of it (serialising in memory, writing the temporary, renaming) or just after it.
            // Not always the first: 2 to 4 saves before (a save that wrote what an earlier one should have shows
            // only from the second save on).
            String line;
            long lastSaved = 0;
            long savesBefore = 2 + kills % 3;
            while ((line = out.readLine()) != null && !(lastSaved >= savesBefore && line.startsWith("saving"))) {
                if (line.startsWith("saved ")) {
                    lastSaved = Long.parseLong(line.substring(6).trim());
                }
            }
            assertTrue(line != null, "child ended without saving");
            if (kills % 2 == 0) {
                // Every other kill: at a random moment after the save began (serialising in memory,
                // writing the temporary, renaming, or the next save).
                Thread.sleep(random.nextInt(150));
            } else {
                // The others: once the temporary exists, a random moment into writing it (which
                // takes >= 100 ms here), so kills surely land mid-write even on a loaded machine.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (temporaries(file).length == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                Thread.sleep(random.nextInt(50));
            }
            // SIGKILL through the handle: Process.destroyForcibly would also close our end of its stdout.
            p.toHandle().destroyForcibly();
            p.waitFor();
            // What the child printed before it died is still in the pipe: the last save it completed.
            while ((line = out.readLine()) != null) {
                if (line.startsWith("saved ")) {
                    lastSaved = Long.parseLong(line.substring(6).trim());
                }
            }
            kills++;
            if (temporaries(file).length > 0) {
                withTemporary++;  // killed in the middle of a save
            }
            // The surviving file is the last completed save, every record of it: save lastSaved, or save
            // lastSaved + 1 when the kill fell between its rename and its "saved" line.
            long generation = checkSurvivor(file, lastSaved, dir.resolve("reference.lpckpt"));
            if (generation > lastSaved) {
                laterSaves++;
            }
            // The next successful save of the same target cleans up the dead child's temporary.
            try (Model m = Checkpoint.loadModel(file)) {
                m.save(file);
            }
            assertEquals(0, temporaries(file).length, Arrays.toString(temporaries(file)));
        }
        System.out.println("KilledSaveTest: " + kills + " SIGKILLed saving processes survived (" + withTemporary
                + " killed mid-save, leaving a temporary; " + laterSaves + " times the file was the save whose 'saved' line"
                + " the kill prevented), each surviving file identical to the model at its save, in "
                + (System.nanoTime() - started) / 1_000_000 + " ms");
        assertTrue(kills >= MIN_KILLS, "only " + kills + " kills in the time budget");
        // The test must really kill writers mid-save, not only between saves.
        assertTrue(withTemporary * 4 >= kills, "only " + withTemporary + " of " + kills
                + " kills landed while a temporary file was being written");
    }

    /**
     * Checks that {@code file} is exactly the checkpoint of save lastSaved of the loop (the last the child reported
     * completed), or of save lastSaved + 1 (renamed into place, killed before it could say so), and returns which.
     * Which one is found from the thetas (each save changes one, so the two differ); then the file must equal, byte
     * for byte, the checkpoint of the model rebuilt at that save, and the loaded model must predict what that
     * model predicts, bit for bit.
     */
    static long checkSurvivor(Path file, long lastSaved, Path reference) throws Exception {
        float[] inputs = new float[4 * 784];
        Random r = new Random(7);
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = (float) r.nextGaussian();
        }
        try (Model loaded = Checkpoint.loadModel(file)) {
            assertEquals(12, loaded.sections());
            double[] thetas = loaded.thetas();
            for (long g = lastSaved; g <= lastSaved + 1; g++) {
                try (Model expected = SaveLoop.stateAt(g)) {
                    if (!Arrays.equals(thetas, expected.thetas())) {
                        continue;
                    }
                    expected.save(reference);
                    long mismatch = Files.mismatch(file, reference);
                    assertEquals(-1L, mismatch, "the surviving file differs from the checkpoint of save " + g
                            + " (the last reported: " + lastSaved + ") at byte " + mismatch + " of "
                            + Files.size(file) + " (reference: " + Files.size(reference) + " bytes)");
                    assertArrayEquals(expected.predict(inputs, 4), loaded.predict(inputs, 4),
                            "predictions of the surviving file, save " + g);
                    return g;
                }
            }
            throw new AssertionError("the surviving file holds thetas " + Arrays.toString(thetas)
                    + ", neither those of save " + lastSaved + " (the last the child reported completed) nor of save "
                    + (lastSaved + 1));
        }
    }

    static String[] temporaries(Path file) {
        String prefix = file.getFileName() + ".tmp.";
        String[] names = new File(file.getParent().toString()).list((d, n) -> n.startsWith(prefix));
        return names == null ? new String[0] : names;
    }

}
