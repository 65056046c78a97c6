/* context_switch_x86_64.S - the green-thread switch and entry trampoline, x86-64 SysV.
 *
 * sprig_context_switch(ucontext_t *from, const ucontext_t *to)
 *   Saves what the SysV ABI makes callee-saved into `from`, then resumes `to`.
 *   No system call: the signal mask is per OS thread and is not switched (this
 *   is the whole difference from glibc swapcontext, which calls rt_sigprocmask).
 *
 *   Saved layout, in ucontext_t (offsets from context_offsets.h):
 *     gregs[REG_RIP]  return address of this call: where `from` resumes
 *     gregs[REG_RSP]  rsp after that return
 *     gregs[REG_RBX], [REG_RBP], [REG_R12]..[REG_R15]
 *     __fpregs_mem.cwd    x87 control word   (fnstcw)
 *     __fpregs_mem.mxcsr  SSE control/status (stmxcsr)
 *   Because the slots are glibc's own, libunwind's unw_init_local() can walk a
 *   parked thread straight from its ucontext_t, and a context built by
 *   makecontext() can be resumed here: rdi and rsi are loaded from `to` too,
 *   carrying makecontext's first two arguments (harmless for a parked thread,
 *   whose caller-saved registers are dead at the call).
 *
 * sprig_context_entry
 *   The function every makecontext() frame starts in. Its CFI marks the
 *   return address undefined, so unwinders (libunwind, libgcc, gdb) end a
 *   green thread's backtrace here instead of wandering into __start_context.
 */
#include "context_offsets.h"

        .text
        .globl  sprig_context_switch
        .hidden sprig_context_switch
        .type   sprig_context_switch, @function
        .p2align 4
sprig_context_switch:
        .cfi_startproc
        movq    (%rsp), %rax                    /* return address of `from` */
        movq    %rax, SPRIG_UC_RIP(%rdi)
        leaq    8(%rsp), %rax                   /* rsp once that return is done */
        movq    %rax, SPRIG_UC_RSP(%rdi)
        movq    %rbx, SPRIG_UC_RBX(%rdi)
        movq    %rbp, SPRIG_UC_RBP(%rdi)
        movq    %r12, SPRIG_UC_R12(%rdi)
        movq    %r13, SPRIG_UC_R13(%rdi)
        movq    %r14, SPRIG_UC_R14(%rdi)
        movq    %r15, SPRIG_UC_R15(%rdi)
        stmxcsr SPRIG_UC_MXCSR(%rdi)
        fnstcw  SPRIG_UC_FPU_CW(%rdi)

        ldmxcsr SPRIG_UC_MXCSR(%rsi)
        fldcw   SPRIG_UC_FPU_CW(%rsi)
        movq    SPRIG_UC_RBX(%rsi), %rbx
        movq    SPRIG_UC_RBP(%rsi), %rbp
        movq    SPRIG_UC_R12(%rsi), %r12
        movq    SPRIG_UC_R13(%rsi), %r13
        movq    SPRIG_UC_R14(%rsi), %r14
        movq    SPRIG_UC_R15(%rsi), %r15
        movq    SPRIG_UC_RSP(%rsi), %rsp        /* now on the stack of `to` */
        movq    SPRIG_UC_RIP(%rsi), %rax
        movq    SPRIG_UC_RDI(%rsi), %rdi        /* makecontext arguments */
        movq    SPRIG_UC_RSI(%rsi), %rsi        /* last: rsi was the base */
        jmpq    *%rax
        .cfi_endproc
        .size   sprig_context_switch, .-sprig_context_switch

        .globl  sprig_context_entry
        .hidden sprig_context_entry
        .type   sprig_context_entry, @function
        .p2align 4
sprig_context_entry:
        .cfi_startproc
        .cfi_undefined rip                      /* the outermost frame */
        xorl    %ebp, %ebp                      /* no caller frame either */
        subq    $8, %rsp                        /* align to 16 for the call */
        call    sprig_green_thread_main         /* (lo, hi) in edi, esi; never returns */
        ud2
        .cfi_endproc
        .size   sprig_context_entry, .-sprig_context_entry

        .section .note.GNU-stack, "", @progbits
