/*
 * What the restorer's units share (restorer.c explains the whole; one unit per kind of kernel
 * object, as CRIU has): the fixed layout of the restorer's range, the state the three roles
 * share (set by the launcher, inherited across clone), and the functions one unit calls in another.
 */
#ifndef SPICE_RESTORER_H
#define SPICE_RESTORER_H

#include "sys.h"
#include "image.h"

#define RESTORER_BASE  0x200000000000ul   /* must match the link address in the Makefile */
#define RESTORER_SIZE  0x10000000ul       /* 256 MiB: everything the restorer maps lives here */
#define META_BASE      (RESTORER_BASE + 0x1000000ul)   /* image header + metadata, mapped */
#define SCRATCH_BASE   (RESTORER_BASE + 0x800000ul)    /* temporary homes while moving things */
#define PAGE           4096ul
#define STACK_SIZE     (256 * 1024)
#define MAX_OWN_MAPS   128
#define MAX_FILES      4096
#define HIGH_FD_FLOOR  64                 /* our own fds move above every restored fd */
#define MAX_THREADS    512                /* threads of one image (ImageValidator refuses more) */
#define THREAD_STACK_SIZE (16 * 1024)     /* each thread's own stack while it restores itself */
#define THREAD_STACKS  SCRATCH_BASE       /* MAX_THREADS stacks end at META_BASE */

/* ---------- state shared by the three roles (defined in restorer.c) ---------- */

struct own_map { uint64_t start, end; int prot; int kind; int has_file; };
extern struct own_map own_maps[MAX_OWN_MAPS];   /* the launcher's address space, from /proc */
extern int own_map_count;

extern int status_fd, image_fd, hostproc_fd;
extern const struct img_header *hdr;
extern const struct img_process *proc;
extern const struct img_thread *threads[MAX_THREADS];  /* threads[0] is the leader (tid == pid) */
extern uint32_t thread_count;
extern const struct img_vma *vmas;
extern const struct img_run *runs;
extern const struct img_file *files;
extern const struct img_fd *fds;
extern const char *strings;
extern const uint64_t *auxv;
extern const struct img_sigaction *sigactions;
extern const struct img_rlimit *rlimits;
extern const uint32_t *groups;
extern uint64_t vma_count, run_count, file_count, fd_count, strings_len, auxv_len, group_count;
extern const struct img_ws_range *ws;     /* the working set, if the image has one */
extern const struct img_ws_data *ws_data;
extern const struct img_thread_name *thread_names;  /* optional: names of threads, by TID */
extern uint64_t thread_name_count;
extern uint64_t ws_count;
extern const struct img_seccomp_filter *seccomp;  /* the filters, oldest first, if any */
extern uint64_t seccomp_len;              /* bytes of the SECCOMP section */
enum { PREFETCH_NONE, PREFETCH_READ, PREFETCH_FULL, PREFETCH_RECORD };
extern int prefetch_mode;
enum { WS_COLD, WS_MOSTLY_CACHED, WS_CACHED };
extern int working_set_cached;            /* WS_*: how hot the restore is, see check_working_set_cached() */
extern int file_fds[MAX_FILES];
extern uint64_t t_launch, t_init, t_start, t_cleared, t_mapped, t_state;
extern uint64_t gadget_page, staged_page; /* memory.c stages them, sigframe.c jumps through them */

/* rt.c: the C runtime and the status report */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int has_prefix(const char *s, const char *prefix);
int str_eq(const char *a, const char *b);
void put(const char *s);
void put_num(int64_t v);
void flush_status(void);
__attribute__((noreturn)) void die(const char *what, const char *detail, long ret);
long check(long ret, const char *what, const char *detail);
uint64_t now_ns(void);
const char *str_at(uint32_t off);

/* image.c: our own address space and the image */
void read_own_maps(void);
void load_image(const char *path);     /* all but open_files(), which the caller does */

/* memory.c: memory */
void clear_address_space(void);
void place_vdso(void);
void anonymize_self(void);
void plan_mapping_budget(void);
const struct img_vma *vma_at(uint64_t address);
int address_free(uint64_t a);
void map_memory(void);

/* files.c: files and descriptors */
int open_file(uint32_t index, int flags, int shared);
void pin_file(uint64_t index, int fd);   /* an open descriptor of files[index], from the engine */
void open_files(void);
void close_files(void);
void restore_fds(void);

/* fdobjects.c: the kernel objects behind descriptors of kinds 3-9 (the sections, their checks, dispatch) */
#define MAX_FD_OBJECTS 4096
extern const struct img_fd_object *fd_objects;
extern const struct img_epoll_target *epoll_targets;
extern const struct img_fd_message *fd_messages;
extern const struct img_inotify_watch *inotify_watches;
extern const uint8_t *fd_data;
extern uint64_t fd_object_count, epoll_target_count, fd_message_count, inotify_watch_count, fd_data_len;
void note_fd_object_section(uint32_t type, const void *payload, uint64_t length);
void check_fd_objects(void);
void restore_fd_object(const struct img_fd *e, int floor);  /* called by restore_fds, entry by entry */
void restore_fd_links(void);                                /* once every descriptor exists */
int object_fd(uint32_t object, uint32_t end);               /* the descriptor number of an object's end */
int new_fd_high(long fd, const char *what);                 /* checks a new descriptor, moves it above the floor */
void place_fd(int tmp, const struct img_fd *e);             /* dup3 to its number, its flags, close tmp */

/* eventfd.c, signalfd.c, timerfd.c, epoll.c, pipes.c, inotify.c: one unit per object class */
int create_eventfd(const struct img_fd_object *o);
int create_signalfd(const struct img_fd_object *o);
int create_timerfd(const struct img_fd_object *o);
int create_epoll(const struct img_fd_object *o);
void add_epoll_targets(const struct img_fd_object *o, int epfd);
void create_pipe(const struct img_fd_object *o, int ends[2]);
void create_unix_pair(const struct img_fd_object *o, int ends[2]);
int create_inotify(const struct img_fd_object *o);

/* workingset.c: the working set */
void read_working_set(void);
void check_working_set_cached(void);
void populate_working_set(void);
void no_read_around(void);

/* state.c: process and thread state */
void restore_process_state(void);
void restore_credentials(void);
void restore_ids(void);
void restore_rlimits(void);
void restore_thread_state(const struct img_thread *t);

/* seccomp.c: seccomp filters */
void check_seccomp_filters(void);
void restore_seccomp(void);
void install_default_filter(void);

/* sigframe.c: the last step */
struct rt_sigframe64 *build_frame(const struct img_thread *t);
uint64_t prepare_exit(void);
extern uint64_t leave_site, exit_site;
__attribute__((noreturn)) void exit_through(uint64_t stub, struct rt_sigframe64 *f);
__attribute__((noreturn)) void final_jump(const struct img_thread *t);

/* threads.c: every thread but the leader, and how they all leave */
void block_signals(void);
void spawn_threads(void);
void await_threads(void);
__attribute__((noreturn)) void leave_with_threads(void);

/* sandbox.c: user, network and mount namespaces of an engine instance */
#define MAX_BINDS     64
#define SANDBOX_USER  1000                /* the function's uid and gid inside its user namespace */
struct sandbox {
    int on, host_network;
    uint64_t host_id;                     /* the host uid and gid SANDBOX_USER maps to */
    const char *root;                     /* an empty host directory the new root is mounted on */
    uint64_t tmp_bytes;                   /* the size of /tmp (and /dev/shm) */
    const char *binds[MAX_BINDS];         /* host paths bound read-only at the same path (in argv: used before a zygote unmaps it) */
    int bind_count;
};
extern struct sandbox sandbox;
void sandbox_set_root(const char *root);
int sandbox_clone_flags(void);
void sandbox_map_ids(long child);
void sandbox_await_ids(void);
void sandbox_prepare(void);
void sandbox_bind(const char *path);
void sandbox_enter(void);
void sandbox_drop_to_user(void);
void sandbox_check_credentials(void);

/* restorer.c: the roles */
__attribute__((noreturn)) void restore(void);
__attribute__((noreturn)) void init(void);

#endif
