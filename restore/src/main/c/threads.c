/*
 * Threads: every thread of the image but the leader is created here, at its own TID, sets its own
 * kernel state, and all of them leave the restorer together, through their own rt_sigreturn frames.
 *
 * The leader (the restore role, already at the process's PID) rebuilds the address space and the
 * process-wide state alone, then clones the others with clone3(set_tid = {TID}) into the same
 * thread group; each starts on a small stack of its own inside the restorer's range, sets what only
 * a thread can set for itself (robust list, clear_child_tid, rseq, fs/gs base, alternate stack, its
 * credentials), and waits. No thread runs code of the process before all of them, and everything
 * process-wide (descriptors, credentials, seccomp filters for all threads at once with TSYNC, the
 * report), is in place: each thread goes straight into its final wait (below), and the wait ends
 * only after the leader has finished and waits too.
 *
 * Leaving is the delicate part: the restorer's range must be unmapped after every thread has left
 * it, and no instruction can follow the munmap of the code that issues it. So every thread leaves
 * into a wait outside the range, at `leave_site`: a `syscall` right before the process's own
 * rt_sigreturn gadget (sigframe.c), issuing FUTEX_LOCK_PI on a word of its own stack that names a
 * temporary *reaper* thread as the owner. The kernel sets FUTEX_WAITERS in that word inside the call,
 * so the reaper can see when every thread is asleep in the kernel and nowhere in the restorer's
 * range. The reaper then runs the final stub (unmaps the range, puts the clean gadget page back
 * under the sleeping threads with mremap, rt_sigreturn into exit) and ends: its exit hands each
 * PI futex to its waiter, which wakes, returns into the genuine rt_sigreturn gadget, and resumes
 * with its own registers. Nothing of the restorer, nor the reaper, remains.
 */
#include "restorer.h"

#define CLONE_VM      0x00000100
#define CLONE_FS      0x00000200
#define CLONE_FILES   0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_THREAD  0x00010000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS  0x00080000
#define THREAD_FLAGS  (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

#define FUTEX_WAIT_PRIVATE    128
#define FUTEX_WAKE_PRIVATE    129
#define FUTEX_LOCK_PI_PRIVATE 134
#define FUTEX_WAITERS         0x80000000u
#define SIG_SETMASK           2

static int ready;                         /* threads (the reaper included) whose own state is set */
static int go;                            /* 1: the leader has set everything process-wide (the reaper waits) */
static uint32_t *waits[MAX_THREADS];      /* each thread's futex word, below its frame */
static long reaper_tid;
static uint64_t stub;                     /* the final stub (prepare_exit) */

static void futex_wait(int *word, int value)
{
    sys4(__NR_futex, word, FUTEX_WAIT_PRIVATE, value, 0);
}

static void futex_wake(int *word)
{
    sys3(__NR_futex, word, FUTEX_WAKE_PRIVATE, 0x7fffffff);
}

/* Nothing is delivered while the restorer runs: each thread's mask comes from its frame at the end. */
void block_signals(void)
{
    uint64_t all = ~0ul;
    sys4(__NR_rt_sigprocmask, SIG_SETMASK, &all, 0, 8);
}

/*
 * clone3, then in the child fn(arg) on the child's stack (the parent's frame is not there). The
 * child starts with the parent's registers but rax = 0 and rsp = the new stack's top.
 */
long thread_clone(struct clone_args *a, size_t size, void (*fn)(long), long arg);
__asm__(".text\n"
        "thread_clone:\n"
        "  mov %rdx, %r8\n"            /* fn and arg survive the syscall in r8 and r9 */
        "  mov %rcx, %r9\n"
        "  mov $435, %eax\n"           /* clone3(rdi, rsi) */
        "  syscall\n"
        "  test %rax, %rax\n"
        "  jnz 1f\n"
        "  mov %r9, %rdi\n"            /* the child: its stack is 16-byte aligned, call keeps the ABI */
        "  call *%r8\n"
        "  hlt\n"                      /* fn does not return */
        "1:\n"
        "  ret\n");

static void arrive(void)
{
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
    futex_wake(&ready);
}

static void await_go(void)
{
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        futex_wait(&go, 0);
}

/*
 * A thread's last steps: its frame below its stack pointer (sigframe.c), a futex word below the
 * frame owned by the reaper, and the wait at leave_site, from which it returns only when the reaper
 * has ended, into the gadget's rt_sigreturn with rsp at its frame.
 */
static __attribute__((noreturn)) void leave(long i)
{
    struct rt_sigframe64 *f = build_frame(threads[i]);
    uint32_t *word = (uint32_t *)(((uint64_t)f - 64) & ~63ul);
    *word = (uint32_t)reaper_tid;
    __atomic_store_n(&waits[i], word, __ATOMIC_RELEASE);
    register long r10 __asm__("r10") = 0;  /* no timeout */
    __asm__ volatile("mov %[sp], %%rsp\n"
                     "jmp *%[site]\n"
                     ::"a"(__NR_futex), "D"(word), "S"(FUTEX_LOCK_PI_PRIVATE), "d"(0), "r"(r10),
                     [sp] "r"(&f->uc), [site] "r"(leave_site)
                     : "memory");
    __builtin_unreachable();
}

static __attribute__((noreturn)) void thread_main(long i)
{
    restore_thread_state(threads[i]);
    restore_ids();                              /* credentials are per thread in the kernel */
    arrive();
    leave(i);                                   /* asleep until the reaper ends, after the leader's go */
}

/*
 * The reaper: once every thread sleeps in its wait (FUTEX_WAITERS set by the kernel), it builds a
 * frame that resumes at exit_site with rax = exit, below the leader's word (dead stack that nothing
 * touches before the reaper is gone), and runs the final stub, which unmaps the restorer's range.
 */
static __attribute__((noreturn)) void reaper_main(long unused)
{
    (void)unused;
    restore_ids();
    arrive();
    await_go();                                 /* the leader has set everything process-wide */
    for (uint32_t i = 0; i < thread_count; i++) {
        uint32_t *w;
        while (!(w = __atomic_load_n(&waits[i], __ATOMIC_ACQUIRE)))
            sys0(__NR_sched_yield);
        while (!(__atomic_load_n(w, __ATOMIC_ACQUIRE) & FUTEX_WAITERS))
            sys0(__NR_sched_yield);
    }
    struct rt_sigframe64 *f = (struct rt_sigframe64 *)((((uint64_t)waits[0] - 64 - sizeof *f) & ~15ul) - 8);
    memset(f, 0, sizeof *f);
    f->uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    f->uc.uc_stack.flags = SS_DISABLE;
    f->uc.uc_sigmask = ~0ul;
    struct sigcontext64 *c = &f->uc.uc_mcontext;
    c->rip = exit_site;
    c->rax = __NR_exit;                         /* the thread only: exit_group would end the process */
    c->rsp = (uint64_t)f;
    c->eflags = 0x202;
    c->cs = 0x33;                               /* __USER_CS */
    c->ss = 0x2b;                               /* __USER_DS */
    exit_through(stub, f);
}

/* The reaper's TID: the smallest that is neither the init's (1) nor any of the image's, so it is free. */
static int64_t free_tid(void)
{
    int64_t tid = 2;
    for (uint32_t i = 0; i < thread_count; i++)
        if (threads[i]->tid == tid) {
            tid++;
            i = ~0u;                            /* start over: the list is not sorted */
        }
    return tid;
}

/*
 * Clones the reaper (first: every thread names it as the owner of its futex word), then every
 * thread but the leader at its TID. Before the credentials drop: set_tid needs CAP_SYS_ADMIN.
 */
void spawn_threads(void)
{
    if (thread_count == 1)
        return;
    /* The final stub and leave_site first: each thread goes to its wait as soon as its state is set. */
    stub = prepare_exit();
    /* One stack per thread in the scratch area, free again once the address space is rebuilt. */
    check(sys6(__NR_mmap, THREAD_STACKS, (uint64_t)thread_count * THREAD_STACK_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), "map", "thread stacks");
    for (uint32_t i = 0; i < thread_count; i++) {
        int reaper = i == 0;                    /* index 0 is the leader, this thread: its slot is the reaper's */
        int64_t tid = reaper ? free_tid() : threads[i]->tid;
        struct clone_args a = {0};
        a.flags = THREAD_FLAGS | (reaper ? 0 : CLONE_SETTLS);
        a.tls = reaper ? 0 : threads[i]->regs[R_FS_BASE];
        a.stack = THREAD_STACKS + (uint64_t)i * THREAD_STACK_SIZE;
        a.stack_size = THREAD_STACK_SIZE;
        a.set_tid = (uint64_t)&tid;
        a.set_tid_size = 1;
        long r = check(thread_clone(&a, sizeof a, reaper ? reaper_main : thread_main, i), "clone3", "thread");
        if (reaper)
            reaper_tid = r;
    }
}

/* The leader waits until every thread has set its own state. */
void await_threads(void)
{
    if (thread_count == 1)
        return;
    int n;
    while ((n = __atomic_load_n(&ready, __ATOMIC_ACQUIRE)) != (int)thread_count)
        futex_wait(&ready, n);
}

/* The leader's last step with threads: the reaper may end everything once the leader waits too. */
__attribute__((noreturn)) void leave_with_threads(void)
{
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    futex_wake(&go);
    leave(0);
}
