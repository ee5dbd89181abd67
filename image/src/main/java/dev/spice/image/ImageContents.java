package dev.spice.image;

import dev.spice.image.Records.FdRecord;
import dev.spice.image.Records.FileRecord;
import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.ProcessRecord;
import dev.spice.image.Records.Rlimit;
import dev.spice.image.Records.Sigaction;
import dev.spice.image.Records.ThreadRecord;
import dev.spice.image.Records.VmaRecord;
import java.util.List;

/** Everything an image describes: the process, its threads, memory, files and limits. */
public record ImageContents(ProcessRecord process, List<ThreadRecord> threads, List<VmaRecord> vmas,
        List<PageRun> runs, List<FileRecord> files, List<FdRecord> fds, long[] auxv,
        List<Sigaction> sigactions, List<Rlimit> rlimits, int[] groups) {

    public List<PageRun> runsOf(VmaRecord vma) {
        return runs.subList(vma.firstRun(), vma.firstRun() + vma.runCount());
    }

    public long storedPages() {
        return runs.stream().mapToLong(PageRun::pages).sum();
    }
}
