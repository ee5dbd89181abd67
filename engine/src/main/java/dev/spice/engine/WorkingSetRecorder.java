package dev.spice.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spice.image.ImageFormat;
import dev.spice.image.ImageReader;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.Records.WsRange;
import dev.spice.image.VmaKind;
import dev.spice.restore.Prefetch;
import dev.spice.sys.PagemapScan;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Records a deployment's working set: restores its snapshot without prefetch, runs one
 * invocation, and reads which pages are now mapped (read) or private copies (written) with
 * PAGEMAP_SCAN; repeated with the warm-up events and over rounds until the set stops growing.
 * (The kernel maps a few neighbours of a faulting file page, so the read set is slightly larger
 * than what the process touched: exactly what a restore would map anyway.)
 */
final class WorkingSetRecorder {
    private static final int MAX_ROUNDS = 4, MAX_EVENTS = 3;
    private static final int PAGE = ImageFormat.PAGE_SIZE;

    private WorkingSetRecorder() {}

    /** {@code invoke} runs one invocation of the event on the instance (errors are the caller's). */
    static List<WsRange> record(Deployment d, InstanceFactory factory, BiConsumer<Instance, JsonNode> invoke) {
        List<VmaRecord> vmas = ImageReader.read(d.snapshot()).contents().vmas().stream()
                .filter(WorkingSetRecorder::eligible).toList();
        List<JsonNode> events = d.manifest().warmup().isEmpty() ? List.of(RuntimeChannel.JSON.createObjectNode())
                : d.manifest().warmup().stream().distinct().limit(MAX_EVENTS).toList();
        TreeMap<Long, Boolean> pages = new TreeMap<>();          // page address -> written
        for (int round = 0; round < MAX_ROUNDS; round++) {
            int before = pages.size();
            long writtenBefore = pages.values().stream().filter(w -> w).count();
            for (JsonNode event : events) {
                Instance instance = factory.restore(d, Prefetch.NONE);
                try {
                    invoke.accept(instance, event);
                    scan(instance.process().pid(), vmas, pages);
                } finally {
                    instance.kill();
                }
            }
            if (pages.size() == before && pages.values().stream().filter(w -> w).count() == writtenBefore) {
                break;
            }
        }
        return ranges(pages);
    }

    /** Private mappings that a restore maps lazily (the stack and shared memory are copied whole). */
    private static boolean eligible(VmaRecord v) {
        return (v.kind() == VmaKind.ANON && !v.has(ImageFormat.VMA_F_STACK))
                || (v.kind() == VmaKind.FILE && !v.has(ImageFormat.VMA_F_SHARED));
    }

    private static void scan(int pid, List<VmaRecord> vmas, TreeMap<Long, Boolean> pages) {
        try (PagemapScan scan = new PagemapScan(pid)) {
            for (VmaRecord v : vmas) {
                for (PagemapScan.Region r : scan.scan(v.start(), v.end(), PagemapScan.PRESENT,
                        PagemapScan.PRESENT | PagemapScan.FILE | PagemapScan.PFNZERO)) {
                    if (r.is(PagemapScan.PFNZERO)) {
                        continue;
                    }
                    boolean written = !r.is(PagemapScan.FILE);
                    for (long a = r.start(); a < r.end(); a += PAGE) {
                        pages.merge(a, written, Boolean::logicalOr);
                    }
                }
            }
        }
    }

    /** Consecutive pages of the same kind as ranges: written ranges first, then read ones, each by address. */
    private static List<WsRange> ranges(TreeMap<Long, Boolean> pages) {
        List<WsRange> written = new ArrayList<>();
        List<WsRange> read = new ArrayList<>();
        long start = -1, count = 0;
        boolean kind = false;
        for (Map.Entry<Long, Boolean> e : pages.entrySet()) {
            if (count > 0 && e.getKey() == start + count * PAGE && e.getValue() == kind) {
                count++;
                continue;
            }
            if (count > 0) {
                (kind ? written : read).add(new WsRange(start, count, kind ? ImageFormat.WS_WRITTEN : 0));
            }
            start = e.getKey();
            count = 1;
            kind = e.getValue();
        }
        if (count > 0) {
            (kind ? written : read).add(new WsRange(start, count, kind ? ImageFormat.WS_WRITTEN : 0));
        }
        List<WsRange> all = new ArrayList<>(written);
        all.addAll(read);
        return all;
    }
}
