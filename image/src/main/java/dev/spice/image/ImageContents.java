package dev.spice.image;

import dev.spice.image.Records.FdRecord;
import dev.spice.image.Records.FileRecord;
import dev.spice.image.Records.KernelObjects;
import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.ProcessRecord;
import dev.spice.image.Records.Rlimit;
import dev.spice.image.Records.SeccompFilter;
import dev.spice.image.Records.Sigaction;
import dev.spice.image.Records.ThreadRecord;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.Records.WorkingSet;
import java.util.List;

/**
 * Everything an image describes: the process, its threads, memory, files and limits, its seccomp
 * filters (oldest first), the working set recorded after deployment (empty until then), and the
 * kernel objects (eventfds, epolls, pipes...) that descriptors of kinds 3-9 refer to.
 */
public record ImageContents(ProcessRecord process, List<ThreadRecord> threads, List<VmaRecord> vmas,
        List<PageRun> runs, List<FileRecord> files, List<FdRecord> fds, long[] auxv,
        List<Sigaction> sigactions, List<Rlimit> rlimits, int[] groups, List<SeccompFilter> seccomp,
        WorkingSet workingSet, KernelObjects kernelObjects) {

    /** Contents without kernel objects. */
    public ImageContents(ProcessRecord process, List<ThreadRecord> threads, List<VmaRecord> vmas, List<PageRun> runs,
            List<FileRecord> files, List<FdRecord> fds, long[] auxv, List<Sigaction> sigactions, List<Rlimit> rlimits,
            int[] groups, List<SeccompFilter> seccomp, WorkingSet workingSet) {
        this(process, threads, vmas, runs, files, fds, auxv, sigactions, rlimits, groups, seccomp, workingSet,
                KernelObjects.NONE);
    }

    /** Contents without a working set, as a capture produces them. */
    public ImageContents(ProcessRecord process, List<ThreadRecord> threads, List<VmaRecord> vmas, List<PageRun> runs,
            List<FileRecord> files, List<FdRecord> fds, KernelObjects kernelObjects, long[] auxv,
            List<Sigaction> sigactions, List<Rlimit> rlimits, int[] groups, List<SeccompFilter> seccomp) {
        this(process, threads, vmas, runs, files, fds, auxv, sigactions, rlimits, groups, seccomp, WorkingSet.NONE,
                kernelObjects);
    }

    /** Contents without a working set or kernel objects. */
    public ImageContents(ProcessRecord process, List<ThreadRecord> threads, List<VmaRecord> vmas, List<PageRun> runs,
            List<FileRecord> files, List<FdRecord> fds, long[] auxv, List<Sigaction> sigactions, List<Rlimit> rlimits,
            int[] groups, List<SeccompFilter> seccomp) {
        this(process, threads, vmas, runs, files, fds, auxv, sigactions, rlimits, groups, seccomp, WorkingSet.NONE);
    }

    /** Contents without seccomp filters or a working set. */
    public ImageContents(ProcessRecord process, List<ThreadRecord> threads, List<VmaRecord> vmas, List<PageRun> runs,
            List<FileRecord> files, List<FdRecord> fds, long[] auxv, List<Sigaction> sigactions, List<Rlimit> rlimits,
            int[] groups) {
        this(process, threads, vmas, runs, files, fds, auxv, sigactions, rlimits, groups, List.of());
    }

    /** The same contents with other mappings and page runs (after the data was moved or reordered). */
    public ImageContents withMemory(List<VmaRecord> newVmas, List<PageRun> newRuns, WorkingSet newWorkingSet) {
        return new ImageContents(process, threads, newVmas, newRuns, files, fds, auxv, sigactions, rlimits, groups,
                seccomp, newWorkingSet, kernelObjects);
    }

    public List<PageRun> runsOf(VmaRecord vma) {
        return runs.subList(vma.firstRun(), vma.firstRun() + vma.runCount());
    }

    public long storedPages() {
        return runs.stream().mapToLong(PageRun::pages).sum();
    }
}
