/* Process and thread state: mm layout, signals, credentials, resource limits, per-thread registers. */
#include "restorer.h"

void restore_process_state(void)
{
    check(sys1(__NR_chdir, str_at(proc->cwd)), "chdir", str_at(proc->cwd));
    sys1(__NR_umask, proc->umask);
    sys1(__NR_personality, proc->personality);
    sys2(__NR_prctl, PR_SET_NAME, proc->comm);
    for (int sig = 1; sig <= IMG_SIGNALS; sig++) {
        if (sig == 9 || sig == 19)              /* SIGKILL, SIGSTOP */
            continue;
        const struct img_sigaction *a = &sigactions[sig - 1];
        struct ksigaction k = {a->handler, a->flags, a->restorer, a->mask};
        check(sys4(__NR_rt_sigaction, sig, &k, 0, 8), "sigaction", 0);
    }
    for (int w = 0; w < 3; w++) {
        const struct img_itimer *t = &proc->itimer[w];
        if (t->value_sec || t->value_usec) {
            struct kitimerval v = {t->interval_sec, t->interval_usec, t->value_sec, t->value_usec};
            check(sys3(__NR_setitimer, w, &v, 0), "setitimer", 0);
        }
    }
    int exe = open_file(proc->exe_file, O_RDONLY, 0);
    struct prctl_mm_map mm = {
        proc->start_code, proc->end_code, proc->start_data, proc->end_data,
        proc->start_brk, proc->brk, proc->start_stack,
        proc->arg_start, proc->arg_end, proc->env_start, proc->env_end,
        (uint64_t *)auxv, (uint32_t)(auxv_len * 8), (uint32_t)exe,
    };
    check(sys5(__NR_prctl, PR_SET_MM, PR_SET_MM_MAP, &mm, sizeof mm, 0), "prctl", "PR_SET_MM_MAP");
    sys1(__NR_close, exe);
    sys2(__NR_prctl, PR_SET_TIMERSLACK, proc->timerslack_ns);
    sys2(__NR_prctl, PR_SET_CHILD_SUBREAPER, proc->child_subreaper);
    if (proc->thp_disable)
        sys2(__NR_prctl, PR_SET_THP_DISABLE, 1);
}

/* The calling thread's ids: the raw calls change only the caller, so every thread makes them (threads.c). */
void restore_ids(void)
{
    check(sys2(__NR_setgroups, group_count, groups), "setgroups", 0);
    check(sys3(__NR_setresgid, proc->gid[0], proc->gid[1], proc->gid[2]), "setresgid", 0);
    check(sys3(__NR_setresuid, proc->uid[0], proc->uid[1], proc->uid[2]), "setresuid", 0);
    sys1(__NR_setfsgid, proc->gid[3]);
    sys1(__NR_setfsuid, proc->uid[3]);
}

/* Credentials last but one: after setresuid the restorer may lose its capabilities. */
void restore_credentials(void)
{
    restore_ids();
    /* setresuid resets these two, so they come after it. */
    sys2(__NR_prctl, PR_SET_DUMPABLE, proc->dumpable);
    sys2(__NR_prctl, PR_SET_PDEATHSIG, proc->pdeath_signal);
    if (proc->no_new_privs)
        sys5(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

void restore_rlimits(void)
{
    for (int r = 0; r < IMG_RLIMITS; r++)
        check(sys4(__NR_prlimit64, 0, r, &rlimits[r], 0), "setrlimit", 0);
}

/* Per-thread kernel state that rt_sigreturn does not carry. */
void restore_thread_state(const struct img_thread *t)
{
    for (uint64_t i = 0; i < thread_name_count; i++)   /* a thread can only name itself (or via /proc) */
        if (thread_names[i].tid == t->tid)
            sys2(__NR_prctl, PR_SET_NAME, thread_names[i].name);
    if (t->robust_list)
        check(sys2(__NR_set_robust_list, t->robust_list, t->robust_list_len), "set_robust_list", 0);
    if (t->clear_child_tid)
        sys1(__NR_set_tid_address, t->clear_child_tid);
    if (t->rseq_len)
        check(sys4(__NR_rseq, t->rseq_addr, t->rseq_len, 0, t->rseq_sig), "rseq", 0);
    check(sys2(__NR_arch_prctl, ARCH_SET_FS, t->regs[R_FS_BASE]), "arch_prctl", "fs");
    if (t->regs[R_GS_BASE])
        check(sys2(__NR_arch_prctl, ARCH_SET_GS, t->regs[R_GS_BASE]), "arch_prctl", "gs");
    struct kstack ss = {t->altstack_sp, (int32_t)(t->altstack_flags & ~SS_ONSTACK), 0, t->altstack_size};
    if (!(t->altstack_flags & SS_DISABLE))
        check(sys2(__NR_sigaltstack, &ss, 0), "sigaltstack", 0);
}
