/* The last step: the rt_sigreturn frame and the stubs that unmap the restorer and jump into the process. */
#include "restorer.h"

/* ---------- restore: the last step ---------- */

/*
 * Builds the rt_sigreturn frame below the thread's stack pointer (past the red zone), where a
 * signal frame would go: the area is dead stack, so writing it changes nothing the program sees.
 */
struct rt_sigframe64 *build_frame(const struct img_thread *t)
{
    const uint64_t *r = t->regs;
    uint64_t fp = (r[R_RSP] - 128 - t->xstate_size - 64) & ~63ul;
    struct rt_sigframe64 *f = (struct rt_sigframe64 *)(((fp - sizeof *f) & ~15ul) - 8);
    memcpy((void *)fp, (const char *)(t + 1), t->xstate_size);
    /*
     * sigreturn restores the extended state (AVX and beyond) only if the software-reserved bytes
     * describe it and a second magic follows the area; ptrace leaves those bytes unset. The
     * features are this CPU's XCR0, which the kernel intersects with what it supports.
     */
    struct fpx_sw_bytes *sw = (struct fpx_sw_bytes *)(fp + FPX_SW_OFFSET);
    uint32_t xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    memset(sw, 0, sizeof *sw);
    sw->magic1 = FP_XSTATE_MAGIC1;
    sw->xstate_size = t->xstate_size;
    sw->extended_size = t->xstate_size + 4;
    sw->xfeatures = xcr0_lo | (uint64_t)xcr0_hi << 32;
    *(uint32_t *)(fp + t->xstate_size) = FP_XSTATE_MAGIC2;
    memset(f, 0, sizeof *f);
    f->uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    f->uc.uc_stack.sp = t->altstack_sp;
    f->uc.uc_stack.flags = (int32_t)(t->altstack_flags & ~SS_ONSTACK);
    f->uc.uc_stack.size = t->altstack_size;
    struct sigcontext64 *c = &f->uc.uc_mcontext;
    c->r8 = r[R_R8];   c->r9 = r[R_R9];   c->r10 = r[R_R10]; c->r11 = r[R_R11];
    c->r12 = r[R_R12]; c->r13 = r[R_R13]; c->r14 = r[R_R14]; c->r15 = r[R_R15];
    c->rdi = r[R_RDI]; c->rsi = r[R_RSI]; c->rbp = r[R_RBP]; c->rbx = r[R_RBX];
    c->rdx = r[R_RDX]; c->rax = r[R_RAX]; c->rcx = r[R_RCX]; c->rsp = r[R_RSP];
    c->rip = r[R_RIP]; c->eflags = r[R_EFLAGS];
    c->cs = (uint16_t)r[R_CS];
    c->ss = (uint16_t)r[R_SS];
    c->fpstate = fp;
    f->uc.uc_sigmask = t->sigmask;
    return f;
}

/*
 * The final stubs run outside the restorer's range, because they unmap it. Registers in:
 * rdi/rsi = restorer range (munmap), r12 = staged clean page, r13 = gadget page, r14 = &frame->uc.
 * gadget_stub: munmap, then mremap the staged page over its fake twin with the `syscall` placed
 * right before the gadget, so the mremap returns into the genuine "mov $15,%rax; syscall"
 * (rt_sigreturn). fallback_stub: munmap, then rt_sigreturn from a page that stays behind.
 */
extern const char gadget_stub[], gadget_stub_jmp[], gadget_stub_end[];
extern const char fallback_stub[], fallback_leave[], fallback_stub_end[];
__asm__(".text\n"
        "gadget_stub:\n"
        "  mov $11, %eax\n"            /* munmap(rdi, rsi) */
        "  syscall\n"
        "  mov %r12, %rdi\n"           /* mremap(staged, 4096, 4096, MAYMOVE|FIXED, gadget page) */
        "  mov $4096, %esi\n"
        "  mov $4096, %edx\n"
        "  mov $3, %r10d\n"
        "  mov %r13, %r8\n"
        "  mov %r14, %rsp\n"           /* rt_sigreturn finds its frame 8 bytes below rsp */
        "  mov $25, %eax\n"
        "gadget_stub_jmp:\n"
        "  .byte 0xe9, 0, 0, 0, 0\n"   /* jmp rel32 to the `syscall` before the gadget, patched */
        "gadget_stub_end:\n"
        "fallback_stub:\n"
        "  mov $11, %eax\n"
        "  syscall\n"
        "  mov %r14, %rsp\n"
        "  mov $15, %eax\n"            /* rt_sigreturn */
        "  syscall\n"
        "fallback_leave:\n"           /* threads.c: a thread's wait (registers set), then its rt_sigreturn */
        "  syscall\n"
        "  mov $15, %eax\n"
        "  syscall\n"
        "fallback_stub_end:\n");

/*
 * Where threads leave (threads.c), set by prepare_exit(): leave_site is a `syscall` instruction
 * whose next instruction is rt_sigreturn in the process's own code once the restorer is gone (the
 * `syscall` placed before the gadget, or the one of the page that stays behind); exit_site is a
 * `syscall` instruction that stays in place, from which the reaper thread calls exit.
 */
uint64_t leave_site, exit_site;

__attribute__((noreturn)) void exit_through(uint64_t stub, struct rt_sigframe64 *f)
{
    register uint64_t r12 __asm__("r12") = staged_page;
    register uint64_t r13 __asm__("r13") = gadget_page;
    register uint64_t r14 __asm__("r14") = (uint64_t)&f->uc;
    __asm__ volatile("jmp *%0" ::"r"(stub), "D"(RESTORER_BASE), "S"(RESTORER_SIZE), "r"(r12),
                     "r"(r13), "r"(r14)
                     : "memory");
    __builtin_unreachable();
}

/*
 * Puts the final stub in place outside the restorer's range and returns its address: over the
 * gadget's page (an anonymous page that the stub's mremap replaces with the clean twin), or, without
 * a gadget, in a page of its own that stays behind.
 */
uint64_t prepare_exit(void)
{
    if (gadget_page) {
        uint64_t g = proc->sigreturn_gadget;
        size_t len = (size_t)(gadget_stub_end - gadget_stub);
        uint64_t sc = g - 2, off = sc - gadget_page;
        uint64_t at = off >= len ? gadget_page : sc + 2;  /* keep the stub clear of the syscall */
        if (at + len > gadget_page + PAGE)
            die("restore", "has no room for the final stub", 0);
        /* The gadget's own syscall (after "mov $15,%rax" or "mov $15,%eax"), read from the clean twin. */
        exit_site = g + (*(const uint8_t *)(staged_page + (g - gadget_page)) == 0x48 ? 7 : 5);
        check(sys6(__NR_mmap, gadget_page, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), "map", "final stub");
        memcpy((void *)at, gadget_stub, len);
        int32_t rel = (int32_t)(sc - (at + (uint64_t)(gadget_stub_jmp - gadget_stub) + 5));
        memcpy((void *)(at + (uint64_t)(gadget_stub_jmp - gadget_stub) + 1), &rel, 4);
        ((uint8_t *)sc)[0] = 0x0f;           /* syscall */
        ((uint8_t *)sc)[1] = 0x05;
        leave_site = sc;
        return at;
    }
    uint64_t page = RESTORER_BASE - PAGE;
    while (!address_free(page))
        page -= PAGE;
    check(sys6(__NR_mmap, page, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), "map", "final stub");
    memcpy((void *)page, fallback_stub, (size_t)(fallback_stub_end - fallback_stub));
    leave_site = exit_site = page + (uint64_t)(fallback_leave - fallback_stub);
    return page;
}

__attribute__((noreturn)) void final_jump(const struct img_thread *t)
{
    struct rt_sigframe64 *f = build_frame(t);
    exit_through(prepare_exit(), f);
}
