/* The launcher's view of its own address space, and the image: header, metadata, sections. */
#include "restorer.h"

/* ---------- launcher: learn our own address space and the image ---------- */

static uint64_t parse_hex(const char **p)
{
    uint64_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        if (c >= '0' && c <= '9')
            v = v * 16 + (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (uint64_t)(c - 'a' + 10);
        else
            return v;
    }
}

/* Reads /proc/self/maps: the restore role must unmap all of it but the restorer and vDSO. */
void read_own_maps(void)
{
    static char buf[32768];
    long fd = check(sys4(__NR_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC, 0),
                    "open", "/proc/self/maps");
    size_t len = 0;
    long n;
    while ((n = sys3(__NR_read, fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    sys1(__NR_close, fd);
    buf[len] = 0;
    for (const char *p = buf; *p && own_map_count < MAX_OWN_MAPS;) {
        struct own_map *m = &own_maps[own_map_count++];
        m->start = parse_hex(&p);
        p++;                                   /* '-' */
        m->end = parse_hex(&p);
        p++;                                   /* ' ' */
        m->prot = (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
                  (p[2] == 'x' ? PROT_EXEC : 0);
        const char *line_end = p;
        while (*line_end && *line_end != '\n')
            line_end++;
        const char *name = line_end;           /* the name is the last field, if any */
        while (name > p && name[-1] != ' ')
            name--;
        m->kind = 0;
        m->has_file = name < line_end && name[0] == '/';
        if (name < line_end && name[0] == '[') {
            if (line_end - name == 6 && name[1] == 'v' && name[2] == 'd')
                m->kind = VMA_VDSO;            /* [vdso] */
            else if (line_end - name == 6 && name[1] == 'v' && name[2] == 'v')
                m->kind = VMA_VVAR;            /* [vvar] */
            else if (line_end - name == 13 && name[1] == 'v' && name[5] == '_')
                m->kind = VMA_VVAR_VCLOCK;     /* [vvar_vclock] */
            else if (name[1] == 'v' && name[2] == 's')
                own_map_count--;               /* [vsyscall] lies above user space */
        }
        p = *line_end ? line_end + 1 : line_end;
    }
}

static const void *section_payload(const struct img_section *s) { return s + 1; }

/* Maps the header and metadata at META_BASE and indexes the sections, checking bounds. */
static void load_metadata(const char *path)
{
    image_fd = (int)check(sys4(__NR_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0),
                          "open image", path);
    struct img_header h;
    if (sys4(__NR_pread64, image_fd, &h, sizeof h, 0) != (long)sizeof h)
        die("image", "is truncated", 0);
    for (int i = 0; i < 8; i++)
        if (h.magic[i] != IMG_MAGIC[i])
            die("image", "has no Spice magic", 0);
    if (h.version < IMG_OLDEST_VERSION || h.version > IMG_VERSION || h.header_size != IMG_HEADER_SIZE)
        die("image", "has an unsupported version", 0);
    uint64_t meta_end = h.metadata_offset + h.metadata_size;
    if (h.metadata_offset != PAGE || meta_end > h.data_offset || h.data_offset % PAGE ||
        h.data_offset > RESTORER_SIZE - (META_BASE - RESTORER_BASE))
        die("image", "has an inconsistent header", 0);
    /* Exactly the metadata, in one read: a fault on the mapping would read 8 MiB around it. */
    sys3(__NR_readahead, image_fd, 0, h.data_offset);
    sys4(__NR_fadvise64, image_fd, 0, 0, POSIX_FADV_RANDOM);
    check(sys6(__NR_mmap, META_BASE, h.data_offset, PROT_READ,
               MAP_PRIVATE | MAP_FIXED_NOREPLACE, image_fd, 0), "map", "image metadata");
    hdr = (const struct img_header *)META_BASE;

    const char *p = (const char *)META_BASE + PAGE, *end = (const char *)META_BASE + meta_end;
    uint32_t nthreads = 0;
    for (uint32_t i = 0; i < hdr->section_count; i++) {
        const struct img_section *s = (const struct img_section *)p;
        if ((const char *)(s + 1) > end || s->length > (uint64_t)(end - (const char *)(s + 1)))
            die("image", "has a section beyond the metadata", 0);
        const void *payload = section_payload(s);
        uint64_t n = s->entry_size ? s->length / s->entry_size : 0;
        switch (s->type) {
        case IMG_SEC_PROCESS: proc = payload; break;
        case IMG_SEC_THREAD: {
            const struct img_thread *t = payload;
            if (nthreads == MAX_THREADS)
                die("image", "has more threads than the restorer supports (512)", 0);
            if (s->length < sizeof *t || t->xstate_size > s->length - sizeof *t || t->xstate_size > 16384 ||
                t->tid <= 0)
                die("image", "has an invalid thread section", 0);
            threads[nthreads++] = t;
            break;
        }
        case IMG_SEC_VMAS: vmas = payload; vma_count = n; break;
        case IMG_SEC_RUNS: runs = payload; run_count = n; break;
        case IMG_SEC_FILES: files = payload; file_count = n; break;
        case IMG_SEC_FDS: fds = payload; fd_count = n; break;
        case IMG_SEC_STRINGS: strings = payload; strings_len = s->length; break;
        case IMG_SEC_AUXV: auxv = payload; auxv_len = s->length / 8; break;
        case IMG_SEC_SIGACTIONS: sigactions = payload; break;
        case IMG_SEC_RLIMITS: rlimits = payload; break;
        case IMG_SEC_GROUPS: groups = payload; group_count = s->length / 4; break;
        case IMG_SEC_WORKSET: ws = payload; ws_count = n; break;
        case IMG_SEC_WS_DATA: ws_data = s->length >= sizeof *ws_data ? payload : 0; break;
        case IMG_SEC_THREAD_NAMES:
            if (s->entry_size != sizeof *thread_names)
                die("image", "has an invalid thread name", 0);
            thread_names = payload;
            thread_name_count = s->length / sizeof *thread_names;
            break;
        case IMG_SEC_SECCOMP:                  /* an unknown optional section in version 1 */
            if (h.version >= 2) {
                seccomp = payload;
                seccomp_len = s->length;
            }
            break;
        case IMG_SEC_FD_OBJECTS: case IMG_SEC_EPOLL_TARGETS: case IMG_SEC_FD_MESSAGES:
        case IMG_SEC_FD_DATA: case IMG_SEC_INOTIFY_WATCHES:
            if (h.version >= IMG_KOBJ_VERSION)  /* before version 3: unknown optional sections */
                note_fd_object_section(s->type, payload, s->length);
            break;
        default: break;                        /* optional sections of later writers */
        }
        p = (const char *)payload + ((s->length + 7) & ~7ul);
    }
    if (!proc || !threads[0] || !vmas || !strings || !sigactions || !rlimits)
        die("image", "lacks a required section", 0);
    if (nthreads != proc->thread_count)
        die("image", "has a thread count that differs from its thread sections", 0);
    /* The leader (its TID is the PID) comes first: the restore role becomes it; TIDs are distinct. */
    for (uint32_t i = 0; i < nthreads; i++) {
        if (threads[i]->tid == proc->pid) {
            const struct img_thread *leader = threads[i];
            threads[i] = threads[0];
            threads[0] = leader;
        }
        for (uint32_t j = 0; j < i; j++)
            if (threads[j]->tid == threads[i]->tid)
                die("image", "has two threads with one TID", 0);
    }
    if (threads[0]->tid != proc->pid)
        die("image", "has no thread whose TID is the PID", 0);
    for (uint64_t i = 0; i < thread_name_count; i++) {
        const struct img_thread_name *t = &thread_names[i];
        int terminated = 0;
        for (int k = 0; k < 16; k++)
            terminated |= t->name[k] == 0;
        if (!terminated || t->reserved)
            die("image", "has an invalid thread name", 0);
    }
    thread_count = nthreads;
    if (file_count > MAX_FILES)
        die("image", "references too many files", 0);
    for (uint64_t i = 0; i < vma_count; i++) {
        const struct img_vma *v = &vmas[i];
        if (v->start >= v->end || v->start % PAGE || v->end % PAGE ||
            (v->file != IMG_NONE && v->file >= file_count) ||
            (uint64_t)v->first_run + v->run_count > run_count ||
            (v->start < RESTORER_BASE + RESTORER_SIZE && v->end > RESTORER_BASE))
            die("image", "has an invalid mapping", 0);
        uint64_t prev_end = v->start;           /* runs are sorted by start, not overlapping */
        for (uint32_t r = v->first_run; r < v->first_run + v->run_count; r++) {
            const struct img_run *run = &runs[r];
            if (run->start < prev_end || run->start + run->pages * PAGE > v->end ||
                run->data_offset < h.data_offset ||
                run->data_offset + run->pages * PAGE > h.data_offset + h.data_size)
                die("image", "has a page run outside its mapping or the data, or out of order", 0);
            prev_end = run->start + run->pages * PAGE;
        }
    }
    for (uint64_t i = 0; i < fd_count; i++)
        if (fds[i].fd < 0 || (i > 0 && fds[i].fd <= fds[i - 1].fd) ||
            fds[i].kind < FD_STDIO || fds[i].kind > FD_INOTIFY ||
            (fds[i].kind == FD_FILE && fds[i].file >= file_count) ||
            (fds[i].kind >= FD_FIRST_OBJECT && h.version < IMG_KOBJ_VERSION))
            die("image", "has an invalid file descriptor entry", 0);
    check_fd_objects();
    if (ws_data && (ws_data->offset < h.data_offset || ws_data->offset + ws_data->bytes > h.data_offset + h.data_size))
        die("image", "has a working set outside its data", 0);
    if (proc->exe_file >= file_count)
        die("image", "has no executable file", 0);
    check_seccomp_filters();
}

/*
 * What the restore needs of the image before the process is created. The caller then opens the
 * mapped files (open_files), in a sandbox only once its file system is in place.
 */
void load_image(const char *path)
{
    load_metadata(path);
    plan_mapping_budget();
    check_working_set_cached();
}
