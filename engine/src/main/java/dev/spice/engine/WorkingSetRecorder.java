package dev.spice.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spice.image.ImageContents;
import dev.spice.image.ImageFormat;
import dev.spice.image.ImageReader;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.Records.WsRange;
import dev.spice.image.VmaKind;
import dev.spice.restore.Prefetch;
import dev.spice.sys.ErrnoException;
import dev.spice.sys.Fds;
import dev.spice.sys.PagemapScan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Records a deployment's working set: restores its snapshot without prefetch, runs one
 * invocation, and reads which pages are now mapped (read) or private copies (written) with
 * PAGEMAP_SCAN; repeated with the warm-up events and over rounds until the set stops growing.
 * Before each restore the image's and the mapped files' cached pages are dropped, and the restore
 * (Prefetch.RECORD) turns read-around off and makes every file page a mapping of its own:
 * otherwise the kernel would also map up to 16 cached neighbours of every faulting page
 * ("fault-around"; the libraries stay cached while other processes map them) and the set would
 * be about twice what the process touched (hello: 1,439 pages recorded that way, 770 now).
 */
final class WorkingSetRecorder {
    private static final int MAX_ROUNDS = 4, MAX_EVENTS = 3;
    /**
     * Read ranges this close in one mapping become one: the restorer reads gaps this small anyway
     * (restorer.c, READ_GAP). 16 made hello's set a fifth larger.
     */
    private static final int READ_GAP_PAGES = 4;
    private static final int PAGE = ImageFormat.PAGE_SIZE;

    private WorkingSetRecorder() {}

    /** {@code invoke} runs one invocation of the event on the instance (errors are the caller's). */
    static List<WsRange> record(Deployment d, InstanceFactory factory, BiConsumer<Instance, JsonNode> invoke) {
        ImageContents image = ImageReader.read(d.snapshot()).contents();
        List<VmaRecord> vmas = image.vmas().stream().filter(WorkingSetRecorder::eligible).toList();
        List<Path> files = new ArrayList<>(image.files().stream().map(f -> Path.of(f.path())).toList());
        files.add(d.snapshot());
        List<JsonNode> events = d.manifest().warmup().isEmpty() ? List.of(RuntimeChannel.JSON.createObjectNode())
                : d.manifest().warmup().stream().distinct().limit(MAX_EVENTS).toList();
        TreeMap<Long, Boolean> pages = new TreeMap<>();          // page address -> written
        for (int round = 0; round < MAX_ROUNDS; round++) {
            int before = pages.size();
            long writtenBefore = pages.values().stream().filter(w -> w).count();
            for (JsonNode event : events) {
                files.forEach(WorkingSetRecorder::dropCachedPages);
                Instance instance = factory.restore(d, Prefetch.RECORD);
                try {
                    invoke.accept(instance, event);
                    scan(instance.process().pid(), vmas, pages);
                } finally {
                    instance.kill();
                    factory.replenish();
                }
            }
            if (pages.size() == before && pages.values().stream().filter(w -> w).count() == writtenBefore) {
                break;
            }
        }
        return ranges(pages, vmas);
    }

    /** Pages still cached would be mapped with their neighbours ("fault-around"); dropped, a fault maps one. */
    private static void dropCachedPages(Path file) {
        try {
            Fds.dropCachedPages(file);
        } catch (ErrnoException e) {
            // a file that cannot be opened only makes the recorded set less precise
        }
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

    /**
     * Consecutive pages of the same kind as ranges: written ranges first, then read ones, each by
     * address; read ranges of one mapping separated by a small gap are joined.
     */
    private static List<WsRange> ranges(TreeMap<Long, Boolean> pages, List<VmaRecord> vmas) {
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
        all.addAll(joinNearby(read, vmas));
        return all;
    }

    private static List<WsRange> joinNearby(List<WsRange> read, List<VmaRecord> vmas) {
        List<WsRange> joined = new ArrayList<>();
        for (WsRange r : read) {
            if (!joined.isEmpty()) {
                WsRange last = joined.getLast();
                if (r.start() - last.end() <= (long) READ_GAP_PAGES * PAGE && sameMapping(vmas, last.start(), r.start())) {
                    joined.set(joined.size() - 1, new WsRange(last.start(), (r.end() - last.start()) / PAGE, 0));
                    continue;
                }
            }
            joined.add(r);
        }
        return joined;
    }

    private static boolean sameMapping(List<VmaRecord> vmas, long a, long b) {
        for (VmaRecord v : vmas) {
            if (a >= v.start() && a < v.end()) {
                return b >= v.start() && b < v.end();
            }
        }
        return false;
    }
}
