package dev.spice.image;

import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.Records.WorkingSet;
import dev.spice.image.Records.WsRange;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes the seed corpus of {@link ImageReaderFuzzTest} (docs/image-format.md, "Fuzzing"):
 * {@code FuzzSeeds OUT_DIR [CAPTURED.img ...]} writes each captured image again with only a few
 * pages of its data, so the seed stays small but keeps every table of a real process, plus one
 * image made from {@link TestImages} with a working set and two threads.
 */
public final class FuzzSeeds {
    /** Pages kept of a captured image: the first page of the first run of the first mappings. */
    private static final int PAGES_KEPT = 4;

    private FuzzSeeds() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        for (int i = 1; i < args.length; i++) {
            Path captured = Path.of(args[i]);
            String name = captured.getFileName().toString().replaceFirst("\\.img$", "");
            trim(ImageReader.read(captured), out.resolve("captured-" + name));
        }
        written(out.resolve("written-working-set"));
    }

    /** Writes {@code image} with one page of each of its first runs, sharing data where it shared. */
    static void trim(Image image, Path target) throws IOException {
        ImageContents c = image.contents();
        List<VmaRecord> vmas = new ArrayList<>();
        List<PageRun> runs = new ArrayList<>();
        Map<Long, Long> moved = new HashMap<>();
        try (FileChannel in = FileChannel.open(image.path(), StandardOpenOption.READ);
                ImageWriter writer = ImageWriter.create(target, 0)) {
            for (VmaRecord v : c.vmas()) {
                int first = runs.size();
                List<PageRun> own = c.runsOf(v);
                if (!own.isEmpty() && (moved.size() < PAGES_KEPT || moved.containsKey(own.getFirst().dataOffset()))) {
                    long at = moved.computeIfAbsent(own.getFirst().dataOffset(),
                            offset -> writer.appendPages(page(in, offset)));
                    runs.add(new PageRun(own.getFirst().start(), 1, at));
                }
                vmas.add(new VmaRecord(v.start(), v.end(), v.fileOffset(), v.kind(), v.prot(), v.flags(), v.advice(),
                        v.file(), v.name(), first, runs.size() - first));
            }
            writer.commit(c.withMemory(vmas, runs, WorkingSet.NONE));
        }
    }

    private static MemorySegment page(FileChannel in, long offset) {
        ByteBuffer b = ByteBuffer.allocate(ImageFormat.PAGE_SIZE);
        try {
            while (b.hasRemaining() && in.read(b, offset + b.position()) > 0) {
                // read on
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return MemorySegment.ofArray(b.array());
    }

    /** The test contents with three heap runs and a working set over the heap and the stack. */
    static void written(Path target) {
        try (ImageWriter writer = ImageWriter.create(target, 0)) {
            List<PageRun> runs = TestImages.appendHeapRuns(writer, 3);
            long wsData = runs.get(0).dataOffset();
            WorkingSet ws = new WorkingSet(List.of(new WsRange(TestImages.HEAP, 2, ImageFormat.WS_WRITTEN),
                    new WsRange(TestImages.STACK, 1, 0)), wsData, 3 * TestImages.PAGE);
            ImageContents c = TestImages.contents(4321, runs);
            writer.commit(c.withMemory(c.vmas(), c.runs(), ws));
        }
    }
}
